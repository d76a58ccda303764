"""Fixtures for the local stack's own tests: a tiny SAM template whose functions are the fakes in
``tests/infra/fakes``, deployed into moto in-process, so each emulated behaviour (routing, the
authorizer's cache, batch failures, schedules) can be observed without the product's handlers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.gateway import Gateway
from infra.local.pollers import Pollers
from infra.local.runtime import Runtime
from infra.local.scheduler import Scheduler
from infra.local.stack import StackInfo, deploy_into_current_aws
from infra.local.template import Template
from tests.infra.fakes import authorizer, echo, scheduled, worker

REGION = "eu-west-1"

TINY_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  CacheSeconds: {Type: Number, Default: 60}
  PublicDomain: {Type: String, Default: ""}
  AlertEmail: {Type: String, Default: ""}
  Sender: {Type: String, Default: no-reply@shop.example}
Conditions:
  HasDomain: !Not [!Equals [!Ref PublicDomain, ""]]
  HasAlerts: !Not [!Equals [!Ref AlertEmail, ""]]
Globals:
  Function:
    Runtime: python3.12
    CodeUri: tests/infra/fakes/
    MemorySize: 256
    Timeout: 5
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        BUCKET_NAME: !Ref Bucket
        WORK_QUEUE_ARN: !GetAtt WorkQueue.Arn
        SECRET_ARN: !Ref Secret
        SENDER_EMAIL: !Ref Sender
        PUBLIC_BASE_URL: !If
          - HasDomain
          - !Sub "https://${PublicDomain}"
          - !Sub "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: SK, AttributeType: S}
        - {AttributeName: GSI1PK, AttributeType: S}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema: [{AttributeName: GSI1PK, KeyType: HASH}, {AttributeName: SK, KeyType: RANGE}]
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  Bucket:
    Type: AWS::S3::Bucket
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString:
        SecretStringTemplate: '{"user": "app"}'
        GenerateStringKey: password
        PasswordLength: 40
        ExcludePunctuation: true
  AlertTopic:
    Type: AWS::SNS::Topic
    Condition: HasAlerts
  WorkDeadLetterQueue:
    Type: AWS::SQS::Queue
  WorkQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
      RedrivePolicy: {deadLetterTargetArn: !GetAtt WorkDeadLetterQueue.Arn, maxReceiveCount: 2}
  StrictQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 30
  HttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: KeyAuthorizer
        Authorizers:
          KeyAuthorizer:
            FunctionArn: !GetAtt AuthorizerFunction.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableSimpleResponses: true
            Identity:
              Headers: [Authorization]
              ReauthorizeEvery: !Ref CacheSeconds
  AuthorizerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: authorizer.lambda_handler
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.lambda_handler
      MemorySize: 1024
      Environment:
        Variables:
          ONLY_ECHO: "yes"
      Events:
        ListItems: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /items}}
        AddItem: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: POST, Path: /items}}
        GetItem: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: "/items/{id}"}}
        SpecialItem: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /items/special}}
        Files: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: ANY, Path: "/files/{proxy+}"}}
        Public:
          Type: HttpApi
          Properties: {ApiId: !Ref HttpApi, Method: POST, Path: /public, Auth: {Authorizer: NONE}}
  BareFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.bare_handler
      Events:
        Bare: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /bare, Auth: {Authorizer: NONE}}}
  BinaryFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.binary_handler
      Events:
        Image: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /image, Auth: {Authorizer: NONE}}}
  FailingFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: echo.failing_handler
      Events:
        Broken: {Type: HttpApi, Properties: {ApiId: !Ref HttpApi, Method: GET, Path: /broken, Auth: {Authorizer: NONE}}}
  WorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.lambda_handler
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt WorkQueue.Arn
            BatchSize: 5
            FunctionResponseTypes: [ReportBatchItemFailures]
  StrictWorkerFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: worker.all_or_nothing
      Events:
        Strict: {Type: SQS, Properties: {Queue: !GetAtt StrictQueue.Arn, BatchSize: 10}}
  ScheduledFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: scheduled.lambda_handler
      Events:
        Nightly: {Type: Schedule, Properties: {Schedule: "cron(0 3 * * ? *)"}}
        Hourly: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(1 hour)}}
"""


def tiny_template(**parameters: str) -> Template:
    return Template.from_text(
        TINY_TEMPLATE, region=REGION, parameters=parameters, stack_name=f"infra-test-{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture(autouse=True)
def _forget_fake_calls() -> None:
    for recorded in (echo.EVENTS, authorizer.CALLS, worker.BATCHES, scheduled.EVENTS):
        recorded.clear()


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture(scope="module")
def tiny_stack(aws: None) -> StackInfo:
    template = tiny_template()
    return deploy_into_current_aws(REGION, template=template, public_base_url="http://127.0.0.1:3999")


@pytest.fixture(scope="module")
def runtime(tiny_stack: StackInfo) -> Runtime:
    return Runtime(tiny_stack)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def gateway(runtime: Runtime, clock: FakeClock) -> Gateway:
    return Gateway(runtime, clock=clock)


@pytest.fixture
def pollers(runtime: Runtime) -> Pollers:
    return Pollers(runtime)


@pytest.fixture
def scheduler(runtime: Runtime) -> Scheduler:
    return Scheduler(runtime)


def header(response: Any, name: str) -> list[str]:
    return [value for key, value in response.headers if key.lower() == name]
