"""boto3, a third-party Cognito identity client, against the devstack with signed-in visitors.

Usage: devstack_cognito_logins.py ENDPOINT POOL_ID PROVIDER TOKEN

With an ID token from the devstack's OpenID Connect provider: GetId twice (one identity), then
GetCredentialsForIdentity with the login and without it, then GetId with the token's signature
changed. Prints one JSON object with what it saw; ``devstack_cognito_logins.rs`` checks it.
"""

import json
import sys

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from aws_errors import error_code


def main():
    endpoint, pool_id, provider, token = sys.argv[1:5]
    # GetId and GetCredentialsForIdentity are unsigned calls, as the widget makes them.
    cognito = boto3.client(
        "cognito-identity",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=Config(signature_version=UNSIGNED),
    )
    logins = {provider: token}
    first = cognito.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    second = cognito.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    credentials = cognito.get_credentials_for_identity(IdentityId=first, Logins=logins)
    signed, signature = token.rsplit(".", 1)
    forged = signed + "." + ("B" if signature[0] == "A" else "A") + signature[1:]
    print(json.dumps({
        "sameIdentity": first == second,
        "accessKey": credentials["Credentials"]["AccessKeyId"][:4],
        "withoutLogin": error_code(lambda: cognito.get_credentials_for_identity(IdentityId=first)),
        "forged": error_code(lambda: cognito.get_id(IdentityPoolId=pool_id, Logins={provider: forged})),
    }))


if __name__ == "__main__":
    main()
