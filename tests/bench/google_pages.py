#!/usr/bin/env python3
"""Helper of tests/bench/google.sh: gets an access token from the running
Google emulator (signing the JWT bearer assertion with the openssl CLI),
walks users.list once exactly as dirgate asks for it (warming the
emulator's page cache), and writes a curl config that fetches the same
pages in sequence over one connection.

usage: google_pages.py EMULATOR_JSON CURL_CONFIG"""
import base64
import json
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

# Same query as src/connectors/google/google.c (fetch_users)
FIELDS = ("nextPageToken,users(id,primaryEmail,name/fullName,name/givenName,"
          "name/familyName,suspended,archived,aliases)")
# Same scopes as src/connectors/google/google_auth.h (DG_GOOGLE_SCOPES)
SCOPES = " ".join("https://www.googleapis.com/auth/admin.directory.%s.readonly" % s
                  for s in ("user", "group"))


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(emu, ctx):
    key = json.load(open(emu["key_file"]))
    now = int(time.time())
    head = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": key["private_key_id"]}).encode())
    claims = b64(json.dumps({"iss": key["client_email"], "aud": key["token_uri"],
                             "sub": emu["admin"], "scope": SCOPES, "iat": now,
                             "exp": now + 3000}).encode())
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as pem:
        pem.write(key["private_key"])
        pem.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem.name],
                             input=(head + "." + claims).encode(), capture_output=True,
                             check=True).stdout
    body = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": head + "." + claims + "." + b64(sig)}).encode()
    req = urllib.request.Request(key["token_uri"], data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.load(r)["access_token"]


def main():
    emu = json.load(open(sys.argv[1]))
    ctx = ssl.create_default_context(cafile=emu["ca_file"])
    tok = token(emu, ctx)
    base = (emu["api_url"] + "/admin/directory/v1/users?customer=my_customer&maxResults=500"
            "&projection=basic&fields=" + urllib.parse.quote(FIELDS, safe=""))
    urls, page_token = [], None
    while True:
        url = base + ("&pageToken=" + urllib.parse.quote(page_token) if page_token else "")
        urls.append(url)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + tok})
        with urllib.request.urlopen(req, context=ctx) as r:
            page_token = json.load(r).get("nextPageToken")
        if not page_token:
            break
    with open(sys.argv[2], "w") as f:
        f.write('cacert = "%s"\nheader = "Authorization: Bearer %s"\nsilent\nfail\n'
                % (emu["ca_file"], tok))
        for u in urls:
            f.write('url = "%s"\noutput = "/dev/null"\n' % u)
    print(len(urls))


if __name__ == "__main__":
    main()
