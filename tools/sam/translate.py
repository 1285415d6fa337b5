#!/usr/bin/env python3
"""Run AWS's SAM translator (aws-sam-translator, what `sam deploy` and CloudFormation's
AWS::Serverless transform run) on a template and print the CloudFormation JSON it produces.

    python3 tools/sam/translate.py template.yaml [--time EPOCH] [Name=Value ...] [+ [--time EPOCH] [Name=Value ...]] ...

Each run (runs are separated by "+") prints one CloudFormation template; the output is a JSON
array of them, in order. One process for several runs, because importing the translator is most
of the cost.

Name=Value are parameter values, as `sam deploy --parameter-overrides` gives them; the translator
fills the others from their defaults. An AWS::SSM::Parameter::Value<...> parameter needs a value
here (CloudFormation would read it from SSM). --time fixes the clock the translator reads for
AlwaysDeploy's deployment ID, so a test can model two deployments a minute apart.

Local paths (CodeUri, DefinitionUri) become S3 locations, as `sam package` would make them. The
translator reads no AWS account: the region is us-east-1 and managed policies are named by ARN.
"""

import json
import os
import sys
import time


def main(argv):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
        from samtranslator.yaml_helper import yaml_parse
    except ImportError as e:
        print(f"aws-sam-translator is not installed ({e}): pip install aws-sam-translator", file=sys.stderr)
        return 3

    args = argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    path, runs = args[0], [[]]
    for a in args[1:]:
        if a == "+":
            runs.append([])
        else:
            runs[-1].append(a)
    with open(path) as f:
        source = f.read()
    out = []
    for run in runs:
        result = translate(source, run, Translator, Parser, yaml_parse, InvalidDocumentException)
        if isinstance(result, int):
            return result
        out.append(result)
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)
    print()
    return 0


def translate(source, run, Translator, Parser, yaml_parse, InvalidDocumentException):
    """One translation: parameter values and the clock from run; an exit code on failure."""
    params, fixed_time = {}, None
    rest = list(run)
    while rest:
        a = rest.pop(0)
        if a == "--time" and rest:
            fixed_time = int(rest.pop(0))
        elif "=" in a:
            k, v = a.split("=", 1)
            params[k] = v
        else:
            print(f"unexpected argument {a!r}", file=sys.stderr)
            return 2
    time.time = (lambda: float(fixed_time)) if fixed_time is not None else REAL_TIME

    template = yaml_parse(source)  # the translator changes the dict it is given: parse per run
    for logical_id, res in template.get("Resources", {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://stepgate-artifacts/{logical_id}.zip"
        if res.get("Type") == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["DefinitionUri"] = {"Bucket": "stepgate-artifacts", "Key": props["DefinitionUri"]}
    try:
        return Translator(managed_policy_map={}, sam_parser=Parser()).translate(
            sam_template=template, parameter_values=params
        )
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"SAM translator: {cause.message}", file=sys.stderr)
        return 1


REAL_TIME = time.time


if __name__ == "__main__":
    sys.exit(main(sys.argv))
