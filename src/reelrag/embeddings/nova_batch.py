"""Nova Multimodal Embeddings through Bedrock batch inference, for large ingests.

When ``nova_batch_role_arn`` is set and one embedding call holds at least ``nova_batch_min``
texts or images (set ``ingest_batch`` at least as high), :class:`NovaBatch` runs them as one
``CreateModelInvocationJob`` instead of one ``InvokeModel`` each:

1. the bodies (exactly the synchronous ones) go to ``<nova_batch_uri>/<run>/input/records.jsonl``
   as ``{"recordId": ..., "modelInput": body}`` lines;
2. ``CreateModelInvocationJob`` (model ``amazon.nova-2-multimodal-embeddings-v1:0``, the service
   role Bedrock assumes to read and write that prefix) -- a region without batch inference for
   the model answers ``ValidationException``, reported with the hint to unset the role;
3. ``GetModelInvocationJob`` every ``bedrock_poll_s`` until a final state;
4. the ``*.jsonl.out`` files under ``<nova_batch_uri>/<run>/output/<job id>/`` are read by
   ``recordId`` (their order is not guaranteed); a record with an ``error`` instead of a
   ``modelOutput`` comes back as None and the embedder embeds it synchronously.

Formats: https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html and
https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-results.html . Jobs take
minutes to hours and Bedrock enforces a minimum number of records per job (a service quota, 100
by default), hence ``nova_batch_min``. The ingest call blocks while the job runs.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from reelrag.aws.clients import LazyClient, aws_errors, parse_s3_uri, region_of
from reelrag.errors import BackendError, ConfigError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

MODEL_ID = "amazon.nova-2-multimodal-embeddings-v1:0"
FINAL = ("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired")
USABLE = ("Completed", "PartiallyCompleted")


class NovaBatch:
    """One batch-inference run of Nova embedding bodies; :meth:`run` blocks until it is done."""

    control = LazyClient("bedrock")
    s3 = LazyClient("s3")

    def __init__(
        self,
        settings: Settings,
        *,
        control: Any = None,
        s3: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self._control, self._s3 = control, s3
        self._sleep = sleep
        if not settings.nova_batch_role_arn:
            raise ConfigError("Nova batch inference needs nova_batch_role_arn")
        self.base = batch_uri(settings)

    def run(self, bodies: Sequence[dict[str, Any]]) -> list[np.ndarray | None]:
        """One vector (or None where the record failed) per body, in the order given."""
        run_id = f"reelrag-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        input_uri = self.write_input(run_id, bodies)
        arn = self.submit(run_id, input_uri)
        status = self.wait(arn)
        found = self.collect(status)
        missing = sum(1 for i in range(len(bodies)) if _record_id(i) not in found)
        if missing:
            log.warning(
                "Nova batch %s: %d of %d records without a vector", arn, missing, len(bodies)
            )
        return [found.get(_record_id(i)) for i in range(len(bodies))]

    def write_input(self, run_id: str, bodies: Sequence[dict[str, Any]]) -> str:
        bucket, prefix = parse_s3_uri(f"{self.base}/{run_id}/input")
        lines = (
            json.dumps({"recordId": _record_id(i), "modelInput": body}, separators=(",", ":"))
            for i, body in enumerate(bodies)
        )
        with aws_errors("s3:PutObject", resource=f"s3://{bucket}/{prefix}"):
            self.s3.put_object(
                Bucket=bucket,
                Key=f"{prefix}/records.jsonl",
                Body="\n".join(lines).encode() + b"\n",
            )
        return f"s3://{bucket}/{prefix}/"

    def submit(self, run_id: str, input_uri: str) -> str:
        output_uri = f"{self.base}/{run_id}/output/"
        with aws_errors(
            "bedrock:CreateModelInvocationJob", model=MODEL_ID, region=region_of(self.control)
        ):
            response = self.control.create_model_invocation_job(
                jobName=run_id,
                roleArn=self.settings.nova_batch_role_arn,
                clientRequestToken=run_id,
                modelId=MODEL_ID,
                inputDataConfig={
                    "s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}
                },
                outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
            )
        arn = str(response["jobArn"])
        log.info("Nova batch embeddings submitted as %s", arn)
        return arn

    def wait(self, arn: str) -> dict[str, Any]:
        while True:
            with aws_errors("bedrock:GetModelInvocationJob", resource=arn):
                status = dict(self.control.get_model_invocation_job(jobIdentifier=arn))
            state = status.get("status", "?")
            if state in USABLE:
                return status
            if state in FINAL:
                raise BackendError(
                    f"Nova batch job {arn} ended {state}: {status.get('message') or 'no message'}"
                )
            self._sleep(float(self.settings.bedrock_poll_s))

    def collect(self, status: dict[str, Any]) -> dict[str, np.ndarray]:
        """Vectors by recordId from every ``*.jsonl.out`` of the job's output folder."""
        job_id = str(status["jobArn"]).rsplit("/", 1)[-1]
        out = status["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
        bucket, prefix = parse_s3_uri(f"{out}/{job_id}")
        found: dict[str, np.ndarray] = {}
        with aws_errors("s3:ListBucket", resource=f"s3://{bucket}/{prefix}"):
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=f"{prefix}/"
            )
            keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        for key in (k for k in keys if k.endswith(".jsonl.out")):
            with aws_errors("s3:GetObject", resource=f"s3://{bucket}/{key}"):
                text = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            for line in filter(None, (raw.strip() for raw in text.splitlines())):
                record = json.loads(line)
                vector = _vector(record.get("modelOutput") or {})
                if vector is not None:
                    found[str(record.get("recordId"))] = vector
        return found


def batch_uri(settings: Settings) -> str:
    """Where batch input and output go: ``nova_batch_uri`` or ``<s3_output_uri>/nova-batch``."""
    base = str(settings.nova_batch_uri or "").rstrip("/")
    if not base and settings.s3_output_uri:
        base = f"{str(settings.s3_output_uri).rstrip('/')}/nova-batch"
    if not base.startswith("s3://"):
        raise ConfigError(
            "Nova batch inference needs an S3 location",
            hint="set nova_batch_uri = 's3://BUCKET/prefix' (or s3_output_uri)",
        )
    return base


def _record_id(index: int) -> str:
    return f"R{index:09d}"


def _vector(output: dict[str, Any]) -> np.ndarray | None:
    items = output.get("embeddings") or []
    if not items or not isinstance(items[0], dict) or not items[0].get("embedding"):
        return None
    return np.asarray(items[0]["embedding"], dtype=np.float32)
