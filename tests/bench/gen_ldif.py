#!/usr/bin/env python3
"""Generate a deterministic Active Directory export (ldifde style) for benchmarks.

    gen_ldif.py N [-o FILE] [--profile FILE] [--seed S] [--groups K] [--proxy-addresses K]
                  [--style ldifde|snapshot] [--lf]

Writes N users under OU=<department>,DC=bench,DC=local.  --style ldifde (the
default) writes every attribute ldifde exports (objectGUID/objectSid in base64,
whenCreated, uSN*, ... about 45 lines a user, CRLF, "changetype: add");
--style snapshot writes what "dirgate snapshot" keeps: "version: 1", LF and only
the attributes MailStore reads (about 15 lines a user).  K department
groups nested in "MailStore Users" plus one group nested in a department group,
and the mess a real domain has: ~3% disabled, ~2% hidden from address lists, ~2%
without a mailbox, ~5% outside every selected group, non-ASCII names (base64),
escaped commas in DNs, folded long lines, computers and contacts.  The same
arguments always give the same bytes.

--profile writes a matching active-directory profile (snapshot = the LDIF).
"""
import argparse
import base64
import json
import os
import random
import struct
import sys

BASE = "DC=bench,DC=local"
# The domain of the users' e-mail addresses.  Like many real domains, the AD
# domain (and the UPN suffix) is bench.local, but mail goes to a routable
# domain; --mail-domain bench.local gives every user an address the
# data-quality rules flag (MAP021), the preview's worst case.
MAIL_DOMAIN = "bench.example.com"
SCHEMA = "CN=Schema,CN=Configuration," + BASE
FIRST = ["Anna", "Ben", "Chloé", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jan", "Kofi",
         "Lena", "Marek", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tariq", "Uma",
         "Vera", "Wim", "Xenia", "Yusuf", "Zoë", "Łukasz", "Jürgen", "Ελένη", "太郎"]
LAST = ["Müller", "Smith", "Nowak", "García", "Rossi", "Dubois", "Jensen", "Kowalski", "Silva",
        "Novák", "Öztürk", "Papadopoulou", "Yamada", "O'Brien", "Ångström", "Lee", "Kim", "Brown",
        "Fischer", "Schmidt", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch"]
DEPTS = ["Sales", "Support", "Engineering", "Finance", "Marketing", "Legal", "Operations",
         "Research", "Logistics", "Purchasing", "Human Resources", "Facilities"]


def safe(b):
    return not (b and (b[0] in b" :<" or b[-1:] == b" " or
                       any(c > 126 or c in (0, 10, 13) for c in b)))


# What "dirgate snapshot" keeps of an AD entry (the snapshot connector's attributes).
SNAPSHOT_ATTRS = {a.lower() for a in (
    "objectClass", "objectCategory", "userAccountControl", "sAMAccountName",
    "userPrincipalName", "displayName", "mail", "proxyAddresses",
    "msExchHideFromAddressLists", "cn", "name", "member", "memberOf")}


class Writer:
    def __init__(self, out, nl, lean=False):
        self.out, self.nl, self.lean = out, nl, lean
        if lean:
            out.write(b"version: 1" + nl + nl)

    def line(self, name, value):
        if isinstance(value, str):
            value = value.encode()
        if safe(value):
            text = name.encode() + b": " + value
        else:
            text = name.encode() + b":: " + base64.b64encode(value)
        nl = self.nl
        if len(text) <= 76:
            self.out.write(text + nl)
            return
        self.out.write(text[:76] + nl)  # fold like ldifde/ldapsearch do
        for i in range(76, len(text), 75):
            self.out.write(b" " + text[i:i + 75] + nl)

    def record(self, dn, attrs):
        self.line("dn", dn)
        if not self.lean:
            self.out.write(b"changetype: add" + self.nl)
        for name, value in attrs:
            if not self.lean or name.lower() in SNAPSHOT_ATTRS:
                self.line(name, value)
        self.out.write(self.nl)


def escape_rdn(v):
    out = []
    for i, c in enumerate(v):
        if c in ',+"\\<>;=' or (c == " " and i in (0, len(v) - 1)) or (c == "#" and i == 0):
            out.append("\\")
        out.append(c)
    return "".join(out)


def sid(rid):
    return struct.pack("<BB6sIIIII", 1, 5, b"\0\0\0\0\0\x05", 21, 1234567890, 987654321, 55555, rid)


def user_attrs(rnd, i, dn, cn, first, last, dept, groups):
    sam = "u%06d" % i
    local = "user%06d" % i
    roll = rnd.random()
    uac = 514 if roll < 0.02 else 66050 if roll < 0.03 else 66048 if roll < 0.2 else 512
    has_mail = rnd.random() >= 0.02
    attrs = [("objectClass", "top"), ("objectClass", "person"), ("objectClass", "organizationalPerson"),
             ("objectClass", "user"), ("cn", cn), ("sn", last), ("givenName", first),
             ("distinguishedName", dn), ("instanceType", "4"),
             ("whenCreated", "2019%02d%02d094512.0Z" % (1 + i % 12, 1 + i % 28)),
             ("whenChanged", "20240105081133.0Z"), ("displayName", "%s %s" % (first, last)),
             ("uSNCreated", str(20000 + i * 3)), ("department", dept), ("company", "Bench Ltd.")]
    attrs += [("memberOf", g) for g in groups]
    attrs.append(("uSNChanged", str(20001 + i * 3)))
    if has_mail:
        attrs += [("proxyAddresses", "SMTP:%s@%s" % (local, MAIL_DOMAIN)),
                  ("proxyAddresses", "smtp:%s@mail.%s" % (sam, MAIL_DOMAIN)),
                  ("proxyAddresses", "X500:/o=Bench/ou=Exchange Administrative Group "
                                     "(FYDIBOHF23SPDLT)/cn=Recipients/cn=%s" % sam)]
        if rnd.random() < 0.02:
            attrs.append(("msExchHideFromAddressLists", "TRUE"))
    attrs += [("name", cn), ("objectGUID", rnd.randbytes(16)), ("userAccountControl", str(uac)),
              ("badPwdCount", "0"), ("codePage", "0"), ("countryCode", "0"),
              ("badPasswordTime", "0"), ("lastLogoff", "0"),
              ("lastLogon", str(133400000000000000 + i)), ("pwdLastSet", "133467209330000000"),
              ("primaryGroupID", "513"), ("objectSid", sid(1100 + i)),
              ("accountExpires", "9223372036854775807"), ("logonCount", str(i % 500)),
              ("sAMAccountName", sam), ("sAMAccountType", "805306368"),
              ("userPrincipalName", "%s@bench.local" % local),
              ("objectCategory", "CN=Person," + SCHEMA),
              ("dSCorePropagationData", "16010101000000.0Z"),
              ("lastLogonTimestamp", str(133400000000000000 + i))]
    if has_mail:
        attrs.append(("mail", "%s@%s" % (local, MAIL_DOMAIN)))
    return attrs


def group_attrs(cn, dn, members, memberof, rid):
    attrs = [("objectClass", "top"), ("objectClass", "group"), ("cn", cn)]
    attrs += [("member", m) for m in members]
    attrs += [("distinguishedName", dn), ("instanceType", "4"), ("whenCreated", "20190301080000.0Z")]
    attrs += [("memberOf", m) for m in memberof]
    attrs += [("name", cn), ("objectSid", sid(rid)), ("sAMAccountName", cn),
              ("sAMAccountType", "268435456"), ("groupType", "-2147483646"),
              ("objectCategory", "CN=Group," + SCHEMA)]
    return attrs


def many_aliases(attrs, count):
    """Adds `count` distinct secondary SMTP addresses, every fourth one
    repeated in another letter case (which the mapping drops)."""
    for k in range(count):
        attrs.append(("proxyAddresses", "smtp:alias%06d@%s" % (k, MAIL_DOMAIN)))
        if k % 4 == 0:
            attrs.append(("proxyAddresses", "smtp:ALIAS%06d@%s" % (k, MAIL_DOMAIN.title())))


def generate(n, out, seed, ngroups, nl, lean, aliases=0):
    rnd = random.Random(seed)
    w = Writer(out, nl, lean)
    depts = DEPTS[:max(1, min(ngroups, len(DEPTS)))]
    gdn = lambda cn: "CN=%s,OU=Groups,%s" % (escape_rdn(cn), BASE)
    top = gdn("MailStore Users")
    nested = gdn("Sales EMEA")
    w.record(BASE, [("objectClass", "top"), ("objectClass", "domain"), ("objectClass", "domainDNS"),
                    ("dc", "bench"), ("objectCategory", "CN=Domain-DNS," + SCHEMA)])
    for ou in depts + ["Groups", "Outside", "Contacts"]:
        dn = "OU=%s,%s" % (ou, BASE)
        w.record(dn, [("objectClass", "top"), ("objectClass", "organizationalUnit"), ("ou", ou),
                      ("objectCategory", "CN=Organizational-Unit," + SCHEMA)])
    members = {d: [] for d in depts}
    members["Sales EMEA"] = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        cn = "%s, %s %06d" % (last, first, i)  # "Last, First" as many domains do: escaped comma
        outside = rnd.random() < 0.05
        dept = rnd.choice(depts)
        ou = "Outside" if outside else dept
        dn = "CN=%s,OU=%s,%s" % (escape_rdn(cn), ou, BASE)
        groups = []
        if not outside:
            g = "Sales EMEA" if dept == "Sales" and "Sales" in depts and rnd.random() < 0.3 else dept
            members[g].append(dn)
            groups.append(gdn(g))
        attrs = user_attrs(rnd, i, dn, cn, first, last, dept, groups)
        if i == 0 and aliases:
            many_aliases(attrs, aliases)
        w.record(dn, attrs)
        if i % 1000 == 999:  # a computer and a contact now and then
            c = "CN=WS-%05d,OU=%s,%s" % (i, dept, BASE)
            w.record(c, [("objectClass", "top"), ("objectClass", "person"),
                         ("objectClass", "organizationalPerson"), ("objectClass", "user"),
                         ("objectClass", "computer"), ("cn", "WS-%05d" % i),
                         ("userAccountControl", "4096"), ("sAMAccountName", "WS-%05d$" % i),
                         ("objectCategory", "CN=Computer," + SCHEMA)])
            k = "CN=Contact %05d,OU=Contacts,%s" % (i, BASE)
            w.record(k, [("objectClass", "top"), ("objectClass", "person"),
                         ("objectClass", "organizationalPerson"), ("objectClass", "contact"),
                         ("cn", "Contact %05d" % i), ("mail", "contact%05d@partner.example" % i),
                         ("objectCategory", "CN=Person," + SCHEMA)])
    rid = 500000
    w.record(top, group_attrs("MailStore Users", top, [gdn(d) for d in depts], [], rid))
    for d in depts:
        rid += 1
        extra = [nested] if d == "Sales" else []
        w.record(gdn(d), group_attrs(d, gdn(d), extra + members[d], [top], rid))
    if "Sales" in depts:
        w.record(nested, group_attrs("Sales EMEA", nested, members["Sales EMEA"], [gdn("Sales")], rid + 1))


def write_profile(path, ldif):
    rel = os.path.relpath(os.path.abspath(ldif), os.path.dirname(os.path.abspath(path)))
    profile = {
        "name": "bench",
        "directory": {
            "type": "active-directory", "domain": "bench.local", "baseDn": BASE,
            "filters": {"exchangeUsersOnly": True, "visibleInAddressListsOnly": True,
                        "enabledUsersOnly": True, "groups": ["MailStore Users"]},
            "userNameFormat": "userPrincipalNameLocalPart", "snapshot": rel,
        },
    }
    with open(path, "w") as f:
        json.dump(profile, f, indent=2)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, help="number of users")
    ap.add_argument("-o", "--output", help="LDIF file (default: stdout)")
    ap.add_argument("--profile", help="also write a matching profile here (needs -o)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--groups", type=int, default=len(DEPTS), help="department groups (1-12)")
    ap.add_argument("--style", choices=("ldifde", "snapshot"), default="ldifde",
                    help="full ldifde export, or what dirgate snapshot writes")
    ap.add_argument("--lf", action="store_true", help="Unix line endings for --style ldifde")
    ap.add_argument("--proxy-addresses", type=int, default=0, metavar="K",
                    help="give the first user K more distinct proxyAddresses (and K/4 case duplicates)")
    ap.add_argument("--mail-domain", default=MAIL_DOMAIN,
                    help="domain of the e-mail addresses (default %(default)s)")
    args = ap.parse_args()
    globals()["MAIL_DOMAIN"] = args.mail_domain
    if args.profile and not args.output:
        ap.error("--profile needs -o")
    lean = args.style == "snapshot"
    nl = b"\n" if args.lf or lean else b"\r\n"
    if args.output:
        with open(args.output, "wb", buffering=1 << 20) as f:
            generate(args.n, f, args.seed, args.groups, nl, lean, args.proxy_addresses)
    else:
        generate(args.n, sys.stdout.buffer, args.seed, args.groups, nl, lean,
                 args.proxy_addresses)
    if args.profile:
        write_profile(args.profile, args.output)


if __name__ == "__main__":
    main()
