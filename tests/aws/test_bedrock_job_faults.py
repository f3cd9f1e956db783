"""A Bedrock job through the real worker under injected faults (botocore Stubber for Bedrock, moto
for S3): a read timeout on StartAsyncInvoke is retried with the same clientRequestToken and found
by it, throttled status polls keep the job alive, a "Service capacity" failure resubmits once
under a new token. Every start_async_invoke is counted per token: never two for one token."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import boto3
import numpy as np
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber
from moto import mock_aws

from reelrag.batch.files import parse_templates
from reelrag.batch.plan import plan_rows
from reelrag.errors import RetryableBackendError
from reelrag.generation.bedrock.generator import BedrockGenerator
from reelrag.jobs import SQLiteJobStore, Worker, job_token
from reelrag.settings import Settings, load_settings
from reelrag.types import Job

ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/"
OUT_URI = "s3://reel-out/videos"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="reel-out")
        yield client


class Rig:
    """Stubbed bedrock-runtime, a moto S3 bucket and a job store with one queued Luma job."""

    def __init__(self, tmp_path: Path, s3: Any, max_attempts: int = 3):
        self.settings: Settings = load_settings(
            {
                "workspace": tmp_path / "ws",
                "s3_output_uri": OUT_URI,
                "aws_region": "us-east-1",
                "bedrock_video_model": "luma.ray-v2:0",
                "lifecycle_check": False,
                "max_attempts": max_attempts,
                "lease_s": 5,
            },
            environ={},
        )
        self.s3 = s3
        self.runtime = boto3.client(
            "bedrock-runtime", region_name="us-east-1", aws_access_key_id="k",
            aws_secret_access_key="s",
        )  # fmt: skip
        self.stub = Stubber(self.runtime)
        self.stub.activate()
        self.submits: Counter[str] = Counter()
        self.timeouts = 0
        self.runtime.meta.events.register_first(
            "provide-client-params.bedrock-runtime.StartAsyncInvoke", self._count_and_fault
        )
        self.gen = BedrockGenerator(self.settings, runtime=self.runtime, s3=s3)
        # a fast service: the first poll comes at once instead of after Luma's real latency
        self.gen.capabilities = dataclasses.replace(self.gen.capabilities, typical_latency_s=0.05)
        rows = parse_templates("slow zoom in on red shoes", None, None)
        plan = plan_rows(rows, self.settings, backend="bedrock")
        self.store = SQLiteJobStore(self.settings.jobs_path)
        self.store.add_many(plan.jobs())
        self.batch_id = plan.batch_id

    def _count_and_fault(self, params: dict[str, Any], **_: Any) -> None:
        self.submits[params["clientRequestToken"]] += 1
        if self.timeouts:
            self.timeouts -= 1  # the request reached AWS (counted, paid), the answer was lost
            raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    @property
    def job(self) -> Job:
        return self.store.list(batch_id=self.batch_id)[0]

    def submitted(self, token: str, arn: str) -> None:
        self.stub.add_response(
            "start_async_invoke", {"invocationArn": arn}, {
                "modelId": "luma.ray-v2:0", "modelInput": ANY,
                "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"{OUT_URI}/{token}/"}},
                "clientRequestToken": token,
            },
        )  # fmt: skip

    def status(self, arn: str, token: str, state: str, message: str = "") -> None:
        answer: dict[str, Any] = {
            "invocationArn": arn,
            "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/luma.ray-v2:0",
            "clientRequestToken": token,
            "status": state,
            "submitTime": NOW,
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"{OUT_URI}/{token}/x"}},
        }
        if message:
            answer["failureMessage"] = message
        self.stub.add_response("get_async_invoke", answer, {"invocationArn": arn})

    def listed(self, arn: str | None, token: str) -> None:
        summaries = [] if arn is None else [{
            "invocationArn": arn, "modelArn": "m", "clientRequestToken": token,
            "status": "InProgress", "submitTime": NOW,
            "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"{OUT_URI}/{token}/x"}},
        }]  # fmt: skip
        self.stub.add_response("list_async_invokes", {"asyncInvokeSummaries": summaries})

    def throttled_status(self, times: int) -> None:
        for _ in range(times):
            self.stub.add_client_error("get_async_invoke", "ThrottlingException", "Rate exceeded")

    def output(self, token: str, tmp_path: Path) -> None:
        video = tmp_path / "v.mp4"
        with av.open(str(video), "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=24)
            stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
            for i in range(4):
                frame = np.full((36, 64, 3), i * 40, dtype=np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
            container.mux(stream.encode(None))
        key = f"videos/{token}/x/output.mp4"
        self.s3.put_object(Bucket="reel-out", Key=key, Body=video.read_bytes())

    def run(self) -> Job:
        worker = Worker(
            self.store, self.settings, generators={"bedrock": self.gen}, backoff_base_s=0.01
        )
        worker.run(batch_id=self.batch_id)
        self.stub.assert_no_pending_responses()
        return self.job


def test_read_timeout_on_submit_is_retryable_not_a_crash(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, s3)
    rig.timeouts = 1
    request = rig.job
    token = job_token(request)
    from reelrag import pipeline
    from reelrag.types import GenerationRequest

    prepared = pipeline.prepare(
        GenerationRequest.from_dict(request.payload["request"]), rig.settings, generator=rig.gen
    )
    with pytest.raises(RetryableBackendError, match="may have been received"):
        rig.gen.submit(prepared.resolved, None, token)  # was an AttributeError in the classifier
    assert rig.submits == {token: 1}


def test_timeout_then_throttled_polls_pay_once(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, s3)
    token = job_token(rig.job)
    rig.timeouts = 1  # attempt 1: StartAsyncInvoke reached AWS, its answer timed out
    rig.listed(ARN + "a1", token)  # attempt 2: found by the token, not submitted again
    rig.throttled_status(4)  # more throttled polls than max_attempts: the job lives on
    rig.status(ARN + "a1", token, "InProgress")
    rig.status(ARN + "a1", token, "Completed")
    rig.status(ARN + "a1", token, "Completed")  # collect
    rig.output(token, tmp_path)
    job = rig.run()
    assert job.state == "succeeded", job.error
    assert job.attempts == 2 and job.remote_id == ARN + "a1"
    assert rig.submits == {token: 1}


def test_capacity_failure_resubmits_under_a_new_token(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, s3)
    first = job_token(rig.job)
    second = job_token(dataclasses.replace(rig.job, payload={**rig.job.payload, "retry": 1}))
    rig.submitted(first, ARN + "a1")
    rig.status(ARN + "a1", first, "Failed", "Service capacity exceeded. Please try again later.")
    rig.submitted(second, ARN + "a2")  # no look-up: the new token cannot have been used
    rig.status(ARN + "a2", second, "Completed")
    rig.status(ARN + "a2", second, "Completed")
    rig.output(second, tmp_path)
    job = rig.run()
    assert job.state == "succeeded", job.error
    assert rig.submits == {first: 1, second: 1}


def test_user_retry_after_lost_answers_reuses_the_token(tmp_path: Path, s3: Any) -> None:
    rig = Rig(tmp_path, s3, max_attempts=1)
    token = job_token(rig.job)
    rig.timeouts = 1
    assert rig.run().state == "failed"
    rig.store.retry(rig.job.id)
    rig.listed(ARN + "a1", token)  # the lost invocation is found by its token
    rig.status(ARN + "a1", token, "Completed")
    rig.status(ARN + "a1", token, "Completed")
    rig.output(token, tmp_path)
    job = rig.run()
    assert job.state == "succeeded", job.error
    assert rig.submits == {token: 1}
