"""SCIM conformance of a running console, judged by independent implementations from PyPI:
scim2-tester's checks (discovery, then create, read, query, replace, patch and delete of every
resource type the server publishes), then a provisioning run scripted with scim2-client's
models as a directory would drive it. Prints one JSON object per line; exits 1 on any failure.

Usage: python conformance.py BASE_URL TOKEN
"""

import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ListResponse, PatchOp, PatchOperation
from scim2_tester import Status, check_server


def report(kind, name, ok, reason=""):
    print(json.dumps({"kind": kind, "name": name, "ok": ok, "reason": reason}), flush=True)
    return ok


def main(base, token):
    http = httpx2.Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    failed = 0
    for result in check_server(client):
        ok = result.status in (Status.SUCCESS, Status.SKIPPED)
        failed += not report("check", result.title, ok, result.reason or "")

    # A directory's provisioning run, through a fresh client that discovers the server itself.
    client = SyncSCIMClient(http)
    client.discover()
    UserModel = client.get_resource_model("User")
    GroupModel = client.get_resource_model("Group")
    steps = []
    ada = client.create(
        UserModel(
            user_name="ada.lovelace@example.com",
            external_id="00u-ada",
            name={"given_name": "Ada", "family_name": "Lovelace"},
            emails=[{"value": "ada.lovelace@example.com", "primary": True, "type": "work"}],
            active=True,
        )
    )
    steps.append(("create user", ada.id is not None and ada.user_name == "ada.lovelace@example.com"))
    found = client.query(UserModel, query_parameters={"filter": 'userName eq "ada.lovelace@example.com"'})
    steps.append(("filter by userName", isinstance(found, ListResponse) and found.total_results == 1))
    team = client.create(GroupModel(display_name="brand-leads", members=[{"value": ada.id}]))
    steps.append(("create group with a member", len(team.members or []) == 1))
    read = client.query(UserModel, ada.id)
    steps.append(("user lists its group", [g.display for g in (read.groups or [])] == ["brand-leads"]))
    client.modify(
        UserModel,
        ada.id,
        PatchOp[UserModel](operations=[PatchOperation(op="replace", path="active", value=False)]),
    )
    left = client.query(UserModel, ada.id)
    steps.append(("deactivate by PATCH", left.active is False))
    client.delete(GroupModel, team.id)
    client.delete(UserModel, ada.id)
    gone = http.get(f"/Users/{ada.id}")
    steps.append(("deleted user is gone", gone.status_code == 404 and "Error" in gone.text))
    for name, ok in steps:
        failed += not report("provisioning", name, ok)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
