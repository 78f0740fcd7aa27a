"""Infrastructure as code (issue 8): Terraform HCL, Terraform plan JSON, CloudFormation.

model.py              IacResource / Unknown / Failed / Ref / IacError, bounded reading
terraform.py          .tf files -> resources (python-hcl2 7.x; variables, locals, local
                      modules inside the scan root); tfhcl.py keeps compound expressions
                      as written, tfexpr.py parses them, tfeval.py evaluates them
                      (tfops.py operators, tffuncs.py / tfstrings.py built-in functions),
                      tfexpand.py expands count / for_each into instances
terraform_plan.py     `terraform show -json` plans -> resources
cloudformation.py     templates -> resources; cfn_yaml.py (short-form tags, bounded)
                      and cfn_eval.py (intrinsic functions)
loader.py             one entry point for every format under a path
mapping.py            resources -> the cloud model (map_terraform.py, map_cloudformation.py)
applicability.py      which AWS checks judge IaC, and the attributes they rest on
scan.py               load -> map -> AWS posture checks -> suppress -> ScanReport
sarif.py              SARIF 2.1.0 (the shared writer, workload/sarif.py, with the AWS checks' help)
"""
