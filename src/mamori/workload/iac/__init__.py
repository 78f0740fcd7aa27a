"""Infrastructure as code (issue 8): Terraform HCL, Terraform plan JSON, CloudFormation.

model.py              IacResource / Unknown / Ref / IacError, bounded file reading
terraform.py          .tf files -> resources (python-hcl2 7.x; variables, locals, local
                      modules inside the scan root); tfeval.py evaluates expressions
terraform_plan.py     `terraform show -json` plans -> resources
cloudformation.py     templates -> resources; cfn_yaml.py (short-form tags, bounded)
                      and cfn_eval.py (intrinsic functions)
loader.py             one entry point for every format under a path
mapping.py            resources -> the cloud model (map_terraform.py, map_cloudformation.py)
applicability.py      which AWS checks judge IaC, and the attributes they rest on
scan.py               load -> map -> AWS posture checks -> suppress -> ScanReport
sarif.py              SARIF 2.1.0 (the Kubernetes writer, with the AWS checks' help text)
"""
