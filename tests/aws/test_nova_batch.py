"""Nova embeddings through batch inference, offline: Create/GetModelInvocationJob
through botocore's Stubber (checked against AWS's service model), the S3 input and output files
through moto; the job's output is written the way Bedrock documents it, in another order than the
input and with one failed record, which the embedder then embeds synchronously."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from moto import mock_aws

from reelrag.embeddings.nova import MODEL_ID, NovaEmbedder, validate_nova_embedding
from reelrag.embeddings.nova_batch import NovaBatch, batch_uri
from reelrag.errors import BackendError, ConfigError
from reelrag.settings import Settings, load_settings

BUCKET = "reelrag-batch"
ROLE = "arn:aws:iam::123456789012:role/reelrag-nova-batch"
JOB = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdef123456"
DIM = 256


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _settings(tmp_path: Any, **overrides: Any) -> Settings:
    values = {
        "workspace": tmp_path,
        "aws_region": "us-east-1",
        "nova_batch_role_arn": ROLE,
        "nova_batch_min": 3,
        "nova_batch_uri": f"s3://{BUCKET}/emb",
        "lifecycle_check": False,
        "bedrock_poll_s": 0.0,
        **overrides,
    }
    return load_settings(values, environ={})


def _vector(text: str) -> list[float]:
    out = [0.0] * DIM
    out[sum(map(ord, text)) % DIM] = 1.0
    out[(len(text) * 7) % DIM] += 0.5
    return out


class Job:
    """The stubbed control plane, and Bedrock's side of the job: it writes the output files."""

    def __init__(self, s3: Any, failing: str | None = None, final: str = "Completed"):
        self.s3, self.failing, self.final = s3, failing, final
        self.control = boto3.client(
            "bedrock", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        )
        self.stub = Stubber(self.control)
        self.records: list[dict[str, Any]] = []
        self.stub.add_response(
            "create_model_invocation_job",
            {"jobArn": JOB},
            {
                "jobName": ANY,
                "roleArn": ROLE,
                "clientRequestToken": ANY,
                "modelId": MODEL_ID,
                "inputDataConfig": ANY,
                "outputDataConfig": ANY,
            },
        )
        self.stub.add_response("get_model_invocation_job", self._status("InProgress", "s3://x/y/"))
        self.stub.activate()

    def _status(self, state: str, output: str) -> dict[str, Any]:
        return {
            "jobArn": JOB,
            "modelId": MODEL_ID,
            "roleArn": ROLE,
            "status": state,
            "submitTime": datetime(2026, 12, 6, tzinfo=UTC),
            "inputDataConfig": {"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/emb/in/"}},
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": output}},
        }

    def run(self, seconds: float) -> None:
        """Called while ReelRAG waits: Bedrock reads the input and writes the output."""
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
        [key] = [k for k in keys if k.endswith("/input/records.jsonl")]
        text = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        self.records = [json.loads(line) for line in text.splitlines()]
        run = key.split("/")[1]
        lines = []
        for record in reversed(self.records):  # output order is not guaranteed
            params = record["modelInput"]["singleEmbeddingParams"]
            value = params.get("text", {}).get("value", "image")
            out: dict[str, Any] = {
                "recordId": record["recordId"],
                "modelInput": record["modelInput"],
            }
            if value == self.failing:
                out["error"] = {"errorCode": 400, "errorMessage": "bad record"}
            else:
                embedding = {"embeddingType": "TEXT", "embedding": _vector(value)}
                out["modelOutput"] = {"embeddings": [embedding]}
            lines.append(json.dumps(out))
        job_id = JOB.rsplit("/", 1)[-1]
        self.s3.put_object(
            Bucket=BUCKET,
            Key=f"emb/{run}/output/{job_id}/records.jsonl.out",
            Body="\n".join(lines).encode(),
        )
        self.s3.put_object(
            Bucket=BUCKET, Key=f"emb/{run}/output/{job_id}/manifest.json.out", Body=b"{}"
        )
        output = f"s3://{BUCKET}/emb/{run}/output/"
        self.stub.add_response("get_model_invocation_job", self._status(self.final, output))


def _runtime(answers: list[str]) -> tuple[Any, Stubber]:
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    stub = Stubber(client)
    for text in answers:
        raw = json.dumps({"embeddings": [{"embeddingType": "TEXT", "embedding": _vector(text)}]})
        stub.add_response(
            "invoke_model",
            {
                "body": StreamingBody(io.BytesIO(raw.encode()), len(raw)),
                "contentType": "application/json",
            },
            {
                "modelId": MODEL_ID,
                "body": ANY,
                "contentType": "application/json",
                "accept": "application/json",
            },
        )
    stub.activate()
    return client, stub


def test_a_large_call_runs_as_one_batch_job_and_failed_records_are_embedded_directly(
    s3: Any, tmp_path: Any
) -> None:
    settings = _settings(tmp_path)
    job = Job(s3, failing="green shoes")
    runtime, runtime_stub = _runtime(["green shoes"])  # only the failed record, synchronously
    batch = NovaBatch(settings, control=job.control, s3=s3, sleep=job.run)
    embedder = NovaEmbedder(runtime, dim=DIM, settings=settings, batch=batch)
    texts = ["red shoes", "", "green shoes", "blue hat"]
    vectors = embedder.embed_texts(texts)
    job.stub.assert_no_pending_responses()
    runtime_stub.assert_no_pending_responses()
    assert len(job.records) == 3  # the empty text is not sent
    for record in job.records:
        assert set(record) == {"recordId", "modelInput"}
        validate_nova_embedding(record["modelInput"])
        assert record["modelInput"]["singleEmbeddingParams"]["embeddingDimension"] == DIM
    for text, row in zip(texts, vectors, strict=True):
        if text:
            expected = np.asarray(_vector(text), np.float32)
            np.testing.assert_allclose(row, expected / np.linalg.norm(expected), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_small_calls_stay_synchronous_and_a_failed_job_is_an_error(s3: Any, tmp_path: Any) -> None:
    settings = _settings(tmp_path)
    runtime, runtime_stub = _runtime(["one", "two"])
    job = Job(s3)
    batch = NovaBatch(settings, control=job.control, s3=s3, sleep=job.run)
    embedder = NovaEmbedder(runtime, dim=DIM, settings=settings, batch=batch)
    assert embedder.embed_texts(["one", "two"]).shape == (2, DIM)  # below nova_batch_min
    runtime_stub.assert_no_pending_responses()

    failed = Job(s3, final="Failed")
    runner = NovaBatch(settings, control=failed.control, s3=s3, sleep=failed.run)
    with pytest.raises(BackendError, match="ended Failed"):
        NovaEmbedder(runtime, dim=DIM, settings=settings, batch=runner).embed_texts(["a", "b", "c"])


def test_batch_needs_a_role_and_an_s3_location(tmp_path: Any) -> None:
    with pytest.raises(ConfigError, match="nova_batch_role_arn"):
        NovaBatch(_settings(tmp_path, nova_batch_role_arn=""))
    with pytest.raises(ConfigError, match="S3 location"):
        batch_uri(_settings(tmp_path, nova_batch_uri=""))
    derived = _settings(tmp_path, nova_batch_uri="", s3_output_uri="s3://b/videos/")
    assert batch_uri(derived) == "s3://b/videos/nova-batch"
