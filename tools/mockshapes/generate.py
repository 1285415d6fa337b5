#!/usr/bin/env python3
"""Writes internal/offline/localsfn/mockshapes.json: the API answers TestState checks a Task's
mock.result against (fieldValidationMode STRICT and PRESENT), taken from the AWS service models
botocore ships (pip install botocore; boto3 and the AWS CLI bring it).

    python3 tools/mockshapes/generate.py > internal/offline/localsfn/mockshapes.json

TestMockShapesGenerated (internal/offline/localsfn) runs this and compares. To check another
integration, add its resource to RESOURCES and regenerate.
"""
import json
import sys

import botocore
import botocore.session

# Each Task resource whose answer is checked: the Step Functions resource, the botocore service
# and the operation whose output shape the answer has. Optimized integrations (request-response
# only: .sync and .waitForTaskToken answers are other shapes), then AWS SDK integrations.
RESOURCES = [
    ("arn:aws:states:::lambda:invoke", "lambda", "Invoke"),
    ("arn:aws:states:::dynamodb:getItem", "dynamodb", "GetItem"),
    ("arn:aws:states:::dynamodb:putItem", "dynamodb", "PutItem"),
    ("arn:aws:states:::dynamodb:updateItem", "dynamodb", "UpdateItem"),
    ("arn:aws:states:::dynamodb:deleteItem", "dynamodb", "DeleteItem"),
    ("arn:aws:states:::sqs:sendMessage", "sqs", "SendMessage"),
    ("arn:aws:states:::sns:publish", "sns", "Publish"),
    ("arn:aws:states:::events:putEvents", "events", "PutEvents"),
    ("arn:aws:states:::states:startExecution", "stepfunctions", "StartExecution"),
    ("arn:aws:states:::ecs:runTask", "ecs", "RunTask"),
    ("arn:aws:states:::batch:submitJob", "batch", "SubmitJob"),
    ("arn:aws:states:::glue:startJobRun", "glue", "StartJobRun"),
    ("arn:aws:states:::athena:startQueryExecution", "athena", "StartQueryExecution"),
    ("arn:aws:states:::athena:getQueryExecution", "athena", "GetQueryExecution"),
    ("arn:aws:states:::athena:getQueryResults", "athena", "GetQueryResults"),
    ("arn:aws:states:::athena:stopQueryExecution", "athena", "StopQueryExecution"),
    ("arn:aws:states:::codebuild:startBuild", "codebuild", "StartBuild"),
    ("arn:aws:states:::bedrock:invokeModel", "bedrock-runtime", "InvokeModel"),
    ("arn:aws:states:::aws-sdk:s3:getObject", "s3", "GetObject"),
    ("arn:aws:states:::aws-sdk:s3:putObject", "s3", "PutObject"),
    ("arn:aws:states:::aws-sdk:s3:headObject", "s3", "HeadObject"),
    ("arn:aws:states:::aws-sdk:s3:listObjectsV2", "s3", "ListObjectsV2"),
    ("arn:aws:states:::aws-sdk:s3:deleteObject", "s3", "DeleteObject"),
    ("arn:aws:states:::aws-sdk:s3:copyObject", "s3", "CopyObject"),
    ("arn:aws:states:::aws-sdk:kms:encrypt", "kms", "Encrypt"),
    ("arn:aws:states:::aws-sdk:kms:decrypt", "kms", "Decrypt"),
    ("arn:aws:states:::aws-sdk:kms:generateDataKey", "kms", "GenerateDataKey"),
    ("arn:aws:states:::aws-sdk:lambda:getFunction", "lambda", "GetFunction"),
    ("arn:aws:states:::aws-sdk:lambda:invoke", "lambda", "Invoke"),
    ("arn:aws:states:::aws-sdk:secretsmanager:getSecretValue", "secretsmanager", "GetSecretValue"),
    ("arn:aws:states:::aws-sdk:ssm:getParameter", "ssm", "GetParameter"),
    ("arn:aws:states:::aws-sdk:ssm:getParameters", "ssm", "GetParameters"),
    ("arn:aws:states:::aws-sdk:dynamodb:getItem", "dynamodb", "GetItem"),
    ("arn:aws:states:::aws-sdk:dynamodb:putItem", "dynamodb", "PutItem"),
    ("arn:aws:states:::aws-sdk:dynamodb:query", "dynamodb", "Query"),
    ("arn:aws:states:::aws-sdk:dynamodb:scan", "dynamodb", "Scan"),
    ("arn:aws:states:::aws-sdk:sqs:sendMessage", "sqs", "SendMessage"),
    ("arn:aws:states:::aws-sdk:sqs:receiveMessage", "sqs", "ReceiveMessage"),
    ("arn:aws:states:::aws-sdk:sns:publish", "sns", "Publish"),
    ("arn:aws:states:::aws-sdk:eventbridge:putEvents", "events", "PutEvents"),
    ("arn:aws:states:::aws-sdk:ec2:describeInstances", "ec2", "DescribeInstances"),
    ("arn:aws:states:::aws-sdk:ec2:startInstances", "ec2", "StartInstances"),
    ("arn:aws:states:::aws-sdk:ec2:stopInstances", "ec2", "StopInstances"),
    ("arn:aws:states:::aws-sdk:sfn:startExecution", "stepfunctions", "StartExecution"),
    ("arn:aws:states:::aws-sdk:sfn:describeExecution", "stepfunctions", "DescribeExecution"),
    ("arn:aws:states:::aws-sdk:sts:getCallerIdentity", "sts", "GetCallerIdentity"),
]


def member_name(name):
    # Step Functions gives every answer's members in PascalCase ("ExecutionArn", not the
    # model's "executionArn").
    return name[:1].upper() + name[1:]


def main():
    session = botocore.session.get_session()
    resources, shapes = {}, {}

    def walk(service, shape):
        key = service + "." + shape.name
        if key in shapes:
            return key
        entry = {"type": shape.type_name}
        shapes[key] = entry
        if shape.metadata.get("document"):
            entry["type"] = "document"
        elif shape.type_name == "structure":
            entry["members"] = [[member_name(n), walk(service, m)] for n, m in shape.members.items()]
            if shape.required_members:
                entry["required"] = [member_name(n) for n in shape.required_members]
        elif shape.type_name == "list":
            entry["member"] = walk(service, shape.member)
        elif shape.type_name == "map":
            entry["value"] = walk(service, shape.value)
        else:
            enum = getattr(shape, "enum", None)
            if enum:
                entry["enum"] = list(enum)
            for k in ("min", "max"):
                if k in shape.metadata:
                    entry[k] = shape.metadata[k]
        return key

    for resource, service, operation in RESOURCES:
        output = session.get_service_model(service).operation_model(operation).output_shape
        resources[resource] = walk(service, output)

    out = sys.stdout
    out.write("{\n")
    out.write('  "generatedBy": "tools/mockshapes/generate.py with botocore %s",\n' % botocore.__version__)
    out.write('  "resources": {\n')
    out.write(",\n".join("    %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in resources.items()))
    out.write("\n  },\n")
    out.write('  "shapes": {\n')
    out.write(",\n".join("    %s: %s" % (json.dumps(k), json.dumps(shapes[k], separators=(",", ":"))) for k in sorted(shapes)))
    out.write("\n  }\n}\n")


if __name__ == "__main__":
    main()
