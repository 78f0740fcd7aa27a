"""Inventory diff without a database: resource matching, attribute paths, blind spots."""

from __future__ import annotations

import pytest

from mamori.model import GLOBAL_REGION, CloudResource, Exposure
from mamori.store import ChangeOp, IdStep, ResourceChange
from mamori.store.deep_diff import apply_changes, diff_values, render_path
from mamori.store.inventory_diff import diff_inventories, resource_change
from tests.store.inventory_factory import (
    OTHER,
    bucket,
    denied,
    iam_user,
    inventory,
    nacl,
    rule,
    security_group,
)


def paths(old: object, new: object) -> dict[str, tuple[ChangeOp, object, object]]:
    return {c.path: (c.op, c.old, c.new) for c in diff_values(old, new)}


def test_security_group_opened_to_the_world() -> None:
    before = security_group(
        "sg-0123456789abcdef0",
        [rule("tcp", 443, ["0.0.0.0/0"]), rule("tcp", 22, ["10.0.0.0/8"]), rule("tcp", 80, [])],
    )
    after_ingress = [
        rule("tcp", 443, ["0.0.0.0/0"]),
        rule("tcp", 22, ["10.0.0.0/8", "0.0.0.0/0"]),  # SSH opened to everyone
        rule("tcp", 8080, []),  # port changed in place: no id, so by position
        rule("tcp", 3389, [], ["::/0"]),
    ]
    after = security_group("sg-0123456789abcdef0", after_ingress)
    change = resource_change(before, after)
    assert change is not None
    found = {c.path: (c.op, c.old, c.new) for c in change.attributes}
    assert found == {
        "ingress[1].ipv4_ranges[cidr=0.0.0.0/0]": (
            ChangeOp.ADDED,
            None,
            {"cidr": "0.0.0.0/0", "description": ""},
        ),
        "ingress[2].from_port": (ChangeOp.CHANGED, 80, 8080),
        "ingress[2].to_port": (ChangeOp.CHANGED, 80, 8080),
        "ingress[3]": (ChangeOp.ADDED, None, after_ingress[3]),
    }
    added = next(c for c in change.attributes if c.op is ChangeOp.ADDED and "cidr" in c.path)
    assert added.steps == (
        "ingress",
        1,
        "ipv4_ranges",
        IdStep(fields=("cidr",), values=("0.0.0.0/0",)),
    )
    assert change.fields == () and change.exposure is None


def test_nacl_entries_match_on_rule_number_and_direction() -> None:
    """Rule 100 exists once per direction: the id is the pair, not the number alone."""
    before = nacl("acl-1", [(100, False, "allow", "10.0.0.0/8"), (100, True, "allow", "0.0.0.0/0")])
    after = nacl("acl-1", [(100, True, "deny", "0.0.0.0/0"), (100, False, "allow", "10.0.0.0/8")])
    assert paths(before.attributes, after.attributes) == {
        "entries[rule_number=100,egress=true].rule_action": (ChangeOp.CHANGED, "allow", "deny")
    }


def test_changes_survive_json() -> None:
    """Steps keep their types through JSON: 100 stays an int, true a bool, ids an IdStep."""
    before = nacl("acl-1", [(100, True, "allow", "0.0.0.0/0")])
    after = nacl("acl-1", [(100, True, "deny", "0.0.0.0/0")])
    change = resource_change(before, after)
    assert change is not None
    again = ResourceChange.model_validate_json(change.model_dump_json())
    assert again == change
    step = again.attributes[0].steps[1]
    assert step == IdStep(fields=("rule_number", "egress"), values=(100, True))
    assert isinstance(step, IdStep) and [type(v) for v in step.values] == [int, bool]


def test_reordered_tags_are_not_a_change_but_a_new_value_is() -> None:
    tags = [{"key": "Name", "value": "web"}, {"key": "env", "value": "prod"}]
    assert diff_values({"tags": tags}, {"tags": list(reversed(tags))}) == []
    changed = [{"key": "env", "value": "dev"}, {"key": "Name", "value": "web"}]
    assert paths({"tags": tags}, {"tags": changed}) == {
        "tags[key=env].value": (ChangeOp.CHANGED, "prod", "dev")
    }


def test_lists_with_duplicate_ids_fall_back_to_positions() -> None:
    old = {"r": [{"id": "a", "v": 1}, {"id": "a", "v": 2}]}
    new = {"r": [{"id": "a", "v": 1}, {"id": "a", "v": 3}]}
    assert paths(old, new) == {"r[1].v": (ChangeOp.CHANGED, 2, 3)}


def test_json_types_are_respected() -> None:
    assert paths({"n": 1}, {"n": True}) == {"n": (ChangeOp.CHANGED, 1, True)}
    assert paths({"n": 0}, {"n": None}) == {"n": (ChangeOp.CHANGED, 0, None)}
    assert diff_values({"n": 1}, {"n": 1.0}) == []  # one JSON number
    assert paths({"p": {"a": 1}}, {"p": [1]}) == {"p": (ChangeOp.CHANGED, {"a": 1}, [1])}
    # A key set to null is not a key removed.
    assert paths({"p": None}, {}) == {"p": (ChangeOp.REMOVED, None, None)}
    assert [c.op for c in diff_values({}, {"p": None})] == [ChangeOp.ADDED]


def test_paths_quote_keys_that_are_not_identifiers() -> None:
    assert render_path(("policy", "Statement", 0, "Condition", "aws:SourceIp")) == (
        'policy.Statement[0].Condition["aws:SourceIp"]'
    )
    assert render_path((IdStep(fields=("name",), values=("a b]",)),)) == '[name="a b]"]'
    assert render_path(("x", IdStep(fields=("rule_number",), values=(7,)))) == "x[rule_number=7]"


def test_apply_rebuilds_a_realistic_change() -> None:
    old = iam_user("alice", mfa=True, keys=2).attributes
    new = iam_user("alice", mfa=False, keys=1).attributes
    new["access_keys"][0]["status"] = "Inactive"
    new["inline_policies"] = [{"name": "s3-admin", "document": {"Statement": [{"Action": "*"}]}}]
    changes = diff_values(old, new)
    first, second = (key["id"] for key in old["access_keys"])
    assert {c.path for c in changes} == {
        "mfa_devices[0]",
        f"access_keys[id={second}]",
        f"access_keys[id={first}].status",
        "inline_policies[name=s3-admin]",
    }
    removed = next(c for c in changes if c.path == f"access_keys[id={second}]")
    assert removed.op is ChangeOp.REMOVED and removed.old == old["access_keys"][1]
    assert apply_changes(old, changes) == new


def test_name_arn_and_exposure_changes() -> None:
    before = bucket("shop-assets", public=False)
    after = bucket("shop-assets", public=True).model_copy(update={"name": "shop-assets-v2"})
    change = resource_change(before, after)
    assert change is not None
    assert [(c.path, c.old, c.new) for c in change.fields] == [
        ("name", "shop-assets", "shop-assets-v2")
    ]
    assert change.exposure is not None
    assert change.exposure.before == Exposure(internet=False)
    assert change.exposure.after is not None and change.exposure.after.internet
    assert "public_access_block.block_public_acls" in {c.path for c in change.attributes}
    assert resource_change(before, before) is None


def _users(*names: str, account: str = "123456789012") -> list[CloudResource]:
    return [iam_user(n, account=account) for n in names]


def test_added_removed_changed_and_counts() -> None:
    alice, bob, carol = _users("alice", "bob", "carol")
    bob2 = iam_user("bob", mfa=False)
    result = diff_inventories(
        inventory([alice, bob]), inventory([bob2, carol]), before_id="a", after_id="b"
    )
    assert [r.name for r in result.added] == ["carol"]
    assert [r.name for r in result.removed] == ["alice"]
    assert [(c.name, [a.path for a in c.attributes]) for c in result.changed] == [
        ("bob", ["mfa_devices[0]"])
    ]
    assert result.unchanged == 0 and not result.empty
    assert diff_inventories(inventory([alice, bob]), inventory([bob, alice])).empty


def test_collection_errors_hide_resources_instead_of_removing_them() -> None:
    web = security_group("sg-1", [rule("tcp", 443, ["0.0.0.0/0"])])
    east = security_group("sg-2", [], region="us-east-1")
    logs = bucket("logs", region="us-east-1")
    before = inventory([web, east, logs])
    # After: EC2 in eu-west-1 denied; S3 (listed account-wide) denied.
    after = inventory(
        [east], [denied("aws.ec2.security_group"), denied("aws.s3.bucket", GLOBAL_REGION)]
    )
    result = diff_inventories(before, after)
    assert result.removed == ()
    assert {r.id for r in result.unseen} == {"sg-1", "logs"}
    assert {(e.type, e.region) for e in result.new_errors} == {
        ("aws.ec2.security_group", "eu-west-1"),
        ("aws.s3.bucket", GLOBAL_REGION),
    }
    back = diff_inventories(after, before)
    assert back.added == () and {r.id for r in back.newly_visible} == {"sg-1", "logs"}
    assert len(back.cleared_errors) == 2
    # A denied region hides nothing elsewhere: sg-2 in us-east-1 is really gone.
    gone = diff_inventories(before, inventory([], [denied("aws.ec2.security_group")]))
    assert {r.id for r in gone.removed} == {"sg-2", "logs"}


def test_one_account_of_a_multi_account_inventory() -> None:
    mine = _users("alice")
    theirs = _users("mallory", account=OTHER)
    before = inventory([*mine, *theirs])
    after = inventory([*mine], [denied("aws.iam.user", GLOBAL_REGION, OTHER)])
    assert diff_inventories(before, after, account="123456789012").empty
    other = diff_inventories(before, after, account=OTHER)
    assert [r.name for r in other.unseen] == ["mallory"] and other.removed == ()


@pytest.mark.parametrize(
    "value",
    [{}, [], {"a": [{"id": 1}, {"id": 2}]}, {"tags": [{"key": "k", "value": None}]}, 3, "x"],
)
def test_diff_with_itself_is_empty(value: object) -> None:
    assert diff_values(value, value) == []
