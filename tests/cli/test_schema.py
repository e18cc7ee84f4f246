#!/usr/bin/env python3
"""The profile JSON Schema against the examples and the test profiles, and
the loader against the schema.

  test_schema.py DIRGATE_BINARY        (TAP on stdout)

- schemas/profile.schema.json is a valid draft-07 schema and documents
  every property;
- every example profile (examples/**.json with a "directory" key, not
  examples/keys) and every tests/data/profiles/good profile is valid;
- every tests/data/profiles/bad profile is rejected;
- `dirgate check --offline --format json FILE` reports at least one PROF*
  error exactly when the schema rejects FILE (duplicate keys, BOM-less
  invalid JSON and the like count as rejected), and a bad profile named
  profNNN-*.json gets that code.

The source tree is DG_SOURCE_ROOT (default: two levels above this file).
"""
import json
import os
import re
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    # Debian's python3-jsonschema lives with the system interpreter; a
    # pyenv python3 first on PATH may not have it.
    if os.environ.get("DG_SCHEMA_REEXEC") != "1" and os.path.exists("/usr/bin/python3") \
            and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.environ["DG_SCHEMA_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    print("1..0 # SKIP python jsonschema is not installed")
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.environ.get("DG_SOURCE_ROOT") or os.path.join(HERE, "..", ".."))
SCHEMA_PATH = os.path.join(ROOT, "schemas", "profile.schema.json")
GOOD = os.path.join(ROOT, "tests", "data", "profiles", "good")
BAD = os.path.join(ROOT, "tests", "data", "profiles", "bad")
EXAMPLES = os.path.join(ROOT, "examples")
EXPECTED_EXAMPLES = ["active-directory.json", "ldap.json", "microsoft-365.json",
                     "google-workspace.json", "spe-tenant.json"]

count = 0
failed = 0


def tap(ok, name, diag=None):
    global count, failed
    count += 1
    if not ok:
        failed += 1
    print("%s %d - %s" % ("ok" if ok else "not ok", count, name))
    if not ok and diag:
        for line in str(diag).splitlines():
            print("#   " + line)
    sys.stdout.flush()


def rel(path):
    return os.path.relpath(path, ROOT)


class NotJson(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    for k in keys:
        if keys.count(k) > 1:
            raise NotJson("duplicate key %r" % k)
    return dict(pairs)


def no_constants(name):
    raise NotJson("%s is not JSON" % name)


def load_doc(path):
    """(document, None), or (None, why it is not an acceptable JSON text)."""
    try:
        with open(path, "rb") as fp:
            text = fp.read().decode("utf-8-sig")
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants), None
    except (UnicodeDecodeError, ValueError, NotJson) as e:
        return None, "not acceptable JSON: %s" % e


def schema_errors(validator, path):
    doc, why = load_doc(path)
    if why:
        return [why]
    return ["%s: %s" % ("/" + "/".join(str(p) for p in e.absolute_path), e.message)
            for e in validator.iter_errors(doc)]


def list_json(directory, recursive=False):
    out = []
    if recursive:
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if not (dirpath == directory and d == "keys"))
            out += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".json")]
    else:
        out = [os.path.join(directory, f) for f in sorted(os.listdir(directory)) if f.endswith(".json")]
    return out


def example_profiles():
    """Example JSON files that are profiles (have a "directory" key)."""
    out = []
    for path in list_json(EXAMPLES, recursive=True):
        doc, _ = load_doc(path)
        if isinstance(doc, dict) and "directory" in doc:
            out.append(path)
    return out


def undocumented(node, where="#"):
    """Properties declared in the schema without a description."""
    missing = []
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            if isinstance(sub, dict) and "description" not in sub and "$ref" not in sub:
                missing.append("%s/properties/%s" % (where, key))
        for key, sub in node.items():
            # conditions (if/then/else, per-type method lists) restate
            # properties documented where they are declared
            if key not in ("if", "then", "else", "anyOf", "allOf", "not"):
                missing += undocumented(sub, "%s/%s" % (where, key))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            missing += undocumented(sub, "%s/%d" % (where, i))
    return missing


def run_check(binary, path):
    """The check command's JSON report, or (None, diagnostic)."""
    try:
        proc = subprocess.run([binary, "check", "--offline", "--format", "json", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                              env=dict(os.environ, NO_COLOR="1"))
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run %s: %s" % (binary, e)
    diag = "exit %d\nstderr: %s" % (proc.returncode, proc.stderr.decode(errors="replace")[-2000:])
    if proc.returncode not in (0, 3):
        return None, diag
    try:
        report = json.loads(proc.stdout.decode())
    except ValueError as e:
        return None, "%s\nstdout is not JSON (%s): %s" % (diag, e, proc.stdout[:500])
    return report, diag


def contract_problem(report):
    if not isinstance(report, dict) or not {"profile", "findings", "summary"} <= set(report):
        return "report lacks profile/findings/summary"
    for f in report["findings"]:
        if not {"code", "severity", "path", "message", "hint"} <= set(f):
            return "finding lacks a key: %r" % f
    s = report["summary"]
    if not isinstance(s, dict) or "errors" not in s or "warnings" not in s:
        return "summary lacks errors/warnings"
    if s["errors"] != sum(1 for f in report["findings"] if f["severity"] == "error"):
        return "summary.errors does not count the error findings"
    return None


# ---- randomised agreement -------------------------------------------------

PATH_KEYS = {"snapshot", "caFile", "certFile", "keyFile", "serviceAccountKeyFile", "file"}
MUTANT_VALUES = [None, True, False, 0, -1, 1, 70000, 2.5, "", "x", "LDAPS", "ldaps", "ldap-ssl",
                 "spe", "adfs", "standard", "windows", "{member}", [], ["a"], [1], {}, {"env": "X"},
                 {"prompt": True}, {"prompt": False}, {"env": "A", "file": "/dev/null"},
                 "active-directory", "ldap", "microsoft-365", "google-workspace", "google-oidc",
                 "login", 100, 100.5]
MUTANT_KEYS = ["server", "domain", "users", "groups", "filters", "bind", "tenantId", "certificate",
               "adminUser", "protocol", "port", "type", "method", "adfsUrl", "clientSecret",
               "redirectUri", "instanceId", "product", "names", "user", "dn", "bogus"]


def absolutise(node, base):
    """Profile-relative paths made absolute, so a mutant can live anywhere."""
    if isinstance(node, dict):
        return {k: (os.path.normpath(os.path.join(base, v)) if k in PATH_KEYS and isinstance(v, str)
                    else absolutise(v, base)) for k, v in node.items()}
    if isinstance(node, list):
        return [absolutise(v, base) for v in node]
    return node


def value_paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for k, v in items:
        yield from value_paths(v, prefix + (k,))


def mutate(rng, doc):
    import copy
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        where = rng.choice([p for p in value_paths(doc) if p])
        parent = doc
        for k in where[:-1]:
            parent = parent[k]
        key, r = where[-1], rng.random()
        if r < 0.3 and isinstance(parent, dict):
            del parent[key]
        elif r < 0.7:
            parent[key] = copy.deepcopy(rng.choice(MUTANT_VALUES))
        else:
            target = parent[key] if isinstance(parent[key], dict) else parent
            if isinstance(target, dict):
                target[rng.choice(MUTANT_KEYS)] = copy.deepcopy(rng.choice(MUTANT_VALUES))
    return doc


def random_agreement(binary, validator, sources, count=150, seed=20261125):
    """Mutants of valid profiles: the loader and the schema must agree on
    each.  PROF009 (a file that cannot be read) is beyond a schema."""
    import random
    import tempfile
    rng = random.Random(seed)
    docs = [absolutise(load_doc(p)[0], os.path.dirname(p)) for p in sources]
    disagreements = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mutant.json")
        for i in range(count):
            doc = mutate(rng, rng.choice(docs))
            with open(path, "w", encoding="utf-8") as fp:
                json.dump(doc, fp)
            rejected = bool(list(validator.iter_errors(doc)))
            report, diag = run_check(binary, path)
            if report is None or contract_problem(report):
                disagreements.append("mutant %d: %s" % (i, diag))
                continue
            prof = [f for f in report["findings"] if f["code"].startswith("PROF")
                    and f["code"] != "PROF009" and f["severity"] == "error"]
            if bool(prof) != rejected:
                disagreements.append("mutant %d (schema %s): %s\n  loader: %s" % (
                    i, "rejects" if rejected else "accepts", json.dumps(doc),
                    [(f["code"], f["path"]) for f in prof]))
    return disagreements


def main():
    if len(sys.argv) != 2:
        print("usage: test_schema.py DIRGATE_BINARY", file=sys.stderr)
        return 64
    binary = os.path.abspath(sys.argv[1])

    with open(SCHEMA_PATH, encoding="utf-8") as fp:
        schema = json.load(fp)
    try:
        jsonschema.Draft7Validator.check_schema(schema)
        tap(True, "schema is a valid draft-07 schema")
    except jsonschema.exceptions.SchemaError as e:
        tap(False, "schema is a valid draft-07 schema", e)
    validator = jsonschema.Draft7Validator(schema)
    missing = undocumented(schema)
    tap(not missing, "every schema property has a description", "\n".join(missing))

    examples = example_profiles()
    names = sorted(os.path.basename(p) for p in examples)
    absent = [n for n in EXPECTED_EXAMPLES if n not in names]
    tap(not absent, "one example per connector", "missing: %s" % ", ".join(absent))
    good = list_json(GOOD)
    bad = list_json(BAD)

    for path in examples + good:
        errs = schema_errors(validator, path)
        tap(not errs, "schema accepts %s" % rel(path), "\n".join(errs))
    for path in bad:
        tap(bool(schema_errors(validator, path)), "schema rejects %s" % rel(path))

    for path in good + bad + examples:
        rejected = bool(schema_errors(validator, path))
        name = "loader agrees with the schema on %s (%s)" % (
            rel(path), "invalid" if rejected else "valid")
        report, diag = run_check(binary, path)
        if report is None:
            tap(False, name, diag)
            continue
        problem = contract_problem(report)
        if problem:
            tap(False, name, problem)
            continue
        prof = [f for f in report["findings"]
                if f["code"].startswith("PROF") and f["severity"] == "error"]
        named = re.match(r"(prof\d{3})-", os.path.basename(path))
        want = named.group(1).upper() if path.startswith(BAD + os.sep) and named else None
        ok = bool(prof) == rejected and (not want or any(f["code"] == want for f in prof))
        tap(ok, name, "PROF errors: %s\nschema: %s" % (
            json.dumps(prof, indent=1), "; ".join(schema_errors(validator, path))))

    problems = random_agreement(binary, validator, examples + good)
    tap(not problems, "loader agrees with the schema on 150 random mutants of the valid profiles",
        "\n".join(problems[:5]))

    print("1..%d" % count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
