"""EC2 instances and launch templates (Terraform and CloudFormation) -> the cloud model.

`aws.ec2.instance` is the collectors' type (`cloud/aws/resources/ec2_instances.py`):
`metadata_options = {http_tokens, http_endpoint, hop_limit}` with AWS's values
("required" / "optional", "enabled" / "disabled").

`aws.ec2.launch_template` has no collector yet: it is the smallest additive type, with
the same `metadata_options` as an instance, read from the template's (latest declared)
data. `aws.autoscaling.launch_configuration` likewise, for `aws_launch_configuration`.
A collector could fill the same attributes from DescribeLaunchTemplateVersions
($Default) later; `ec2_instance_imdsv2_required` judges both types when an inventory
holds them.

An instance launched from a launch template takes the template's options for every
option it does not set itself (RunInstances: instance parameters override the
template's). When that template is not declared beside the instance, the options the
instance leaves out are unknown, unless what it sets decides alone (tokens required,
endpoint disabled). A CloudFormation `AWS::EC2::Instance` has no metadata options of its
own: without a launch template they come from the AMI and the account's defaults, which
the files do not say. Where a template (or a Terraform instance) sets nothing, AWS's
default applies: tokens optional, endpoint enabled.
"""

from __future__ import annotations

from typing import Any

from mamori.workload.iac.mapping import Amend, Draft, Index, as_int, block, link_key
from mamori.workload.iac.model import IacResource, Ref, Unknown

Items = list[Draft | Amend]
INSTANCE, TEMPLATE = "aws.ec2.instance", "aws.ec2.launch_template"
LAUNCH_CONFIGURATION = "aws.autoscaling.launch_configuration"
DEFAULTS = {"http_tokens": "optional", "http_endpoint": "enabled", "hop_limit": None}
# model option <- (Terraform argument, CloudFormation property)
_KEYS = {
    "http_tokens": ("http_tokens", "HttpTokens"),
    "http_endpoint": ("http_endpoint", "HttpEndpoint"),
    "hop_limit": ("http_put_response_hop_limit", "HttpPutResponseHopLimit"),
}


def _given(spec: Any, cfn: bool) -> Any:
    """The options a metadata block sets (model names), or an Unknown/Ref block."""
    options = block(spec)
    if not isinstance(options, dict):
        return options
    given: dict[str, Any] = {}
    for ours, keys in _KEYS.items():
        value = options.get(keys[1] if cfn else keys[0])
        if value is not None:
            given[ours] = as_int(value) if ours == "hop_limit" else value
    return given


def _with_defaults(given: Any) -> Any:
    return {**DEFAULTS, **given} if isinstance(given, dict) else given


def _decided(given: dict[str, Any]) -> bool:
    return given.get("http_tokens") == "required" or given.get("http_endpoint") == "disabled"


def _from_template(given: Any, target: Any) -> Any:
    """A derived-attribute hook: the instance's options over its launch template's."""

    def derive(draft: Draft, index: Index) -> None:
        if not isinstance(given, dict):
            draft.attrs["metadata_options"] = given
            return
        key = link_key(draft.scope, TEMPLATE, target)
        template = index.get(key) if key else None
        if template is not None:
            inherited = template.attrs.get("metadata_options")
            if isinstance(inherited, dict):
                draft.attrs["metadata_options"] = {**inherited, **given}
            else:
                draft.attrs["metadata_options"] = inherited
        elif _decided(given):
            draft.attrs["metadata_options"] = _with_defaults(given)
        else:
            draft.attrs["metadata_options"] = Unknown("the launch template is not declared here")

    return derive


def _template_target(spec: Any, id_key: str, name_key: str) -> Any:
    """What an instance's launch template reference points at: a Ref or a literal name."""
    chosen = block(spec)
    if not isinstance(chosen, dict):
        return None
    value = chosen.get(id_key) or chosen.get(name_key)
    return value if isinstance(value, Ref | str) else None


# Terraform -----------------------------------------------------------------------------


def _tf_instance(r: IacResource) -> Items:
    given = _given(r.attrs.get("metadata_options"), cfn=False)
    spec = r.attrs.get("launch_template")
    attrs: dict[str, Any] = {"state": "pending", "metadata_options": _with_defaults(given)}
    derived = []
    if spec is not None and block(spec) != {}:
        attrs["metadata_options"] = Unknown("the launch template's")
        derived.append(_from_template(given, _template_target(spec, "id", "name")))
    return [Draft(INSTANCE, r, attrs, derived=derived)]


def _tf_template(model: str) -> Any:
    def mapper(r: IacResource) -> Items:
        options = _with_defaults(_given(r.attrs.get("metadata_options"), cfn=False))
        return [Draft(model, r, {"metadata_options": options}, name=r.attrs.get("name"))]

    return mapper


TERRAFORM_COMPUTE: dict[str, Any] = {
    "aws_instance": _tf_instance,
    "aws_launch_template": _tf_template(TEMPLATE),
    "aws_launch_configuration": _tf_template(LAUNCH_CONFIGURATION),
}


# CloudFormation ------------------------------------------------------------------------


def _cfn_template(r: IacResource) -> Items:
    data = block(r.attrs.get("LaunchTemplateData"))
    options: Any = data
    if isinstance(data, dict):
        options = _with_defaults(_given(data.get("MetadataOptions"), cfn=True))
    return [
        Draft(TEMPLATE, r, {"metadata_options": options}, name=r.attrs.get("LaunchTemplateName"))
    ]


def _cfn_instance(r: IacResource) -> Items:
    spec = r.attrs.get("LaunchTemplate")
    attrs: dict[str, Any] = {"state": "pending"}
    derived = []
    if spec is None:
        attrs["metadata_options"] = Unknown("IMDS options come from the AMI and account defaults")
    else:
        attrs["metadata_options"] = Unknown("the launch template's")
        target = _template_target(spec, "LaunchTemplateId", "LaunchTemplateName")
        derived.append(_from_template({}, target))
    return [Draft(INSTANCE, r, attrs, derived=derived)]


CLOUDFORMATION_COMPUTE: dict[str, Any] = {
    "AWS::EC2::LaunchTemplate": _cfn_template,
    "AWS::EC2::Instance": _cfn_instance,
}
