"""Dockerfiles: a parser written from Docker's reference, and the `scan dockerfile` use case.

model.py   Instruction, Heredoc, Stage, Dockerfile, ParseError
lexer.py   text -> logical instructions: parser directives (`# escape=`), comments, line
           continuations, heredocs; every bound (bytes, line, chain) is a ParseError
words.py   ARG/ENV substitution ($VAR, ${VAR}, ${VAR:-x}, ${VAR:+x}, ...) and word splitting
parser.py  instructions -> stages (ARG before FROM, `FROM ... AS name`, ENV/ARG scopes,
           base images as references, `FROM <stage>`)
shell.py   what RUN commands do (package installs, cleanups, curl | sh, sudo)
files.py   Dockerfiles under a path, read bounded and without following symlinks
scan.py    parse -> the dockerfile posture checks -> suppress -> ScanReport
sarif.py   SARIF 2.1.0: the shared writer (workload/sarif.py) with the Dockerfile checks' help
"""
