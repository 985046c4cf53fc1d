"""Cost of classifying a big change set (what the review step and `plan --json` do) vs merely reading it.

A change set of N resource changes (describe_change_set shapes, 20 % replacements with Details),
classified, sorted, summed up in a verdict and turned into the plan JSON; the baseline is
json-decoding the same pages, the least any client does with them. Prints medians; asserts nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.changes.changesets import plan_from_pages

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TYPES = ("AWS::EC2::SecurityGroup", "AWS::RDS::DBInstance", "AWS::EC2::Instance", "AWS::S3::Bucket", "AWS::SNS::Topic")


def raw_change(i: int) -> dict[str, Any]:
    replaces = i % 5 == 1
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Modify",
            "LogicalResourceId": f"Resource{i}",
            "PhysicalResourceId": f"phys-{i}",
            "ResourceType": TYPES[i % len(TYPES)],
            "Replacement": "True" if replaces else "False",
            "PolicyAction": "ReplaceAndSnapshot" if replaces else "",
            "Scope": ["Properties"],
            "Details": [
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": "Prop",
                        "RequiresRecreation": "Always" if replaces else "Never",
                    },
                    "Evaluation": "Static",
                    "ChangeSource": "ParameterReference",
                    "CausingEntity": "Param",
                }
            ],
        },
    }


def median_ms(fn: Any) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    for n in (100, 2_000):
        pages = [json.dumps({"Changes": [raw_change(i) for i in range(p, min(p + 100, n))]}) for p in range(0, n, 100)]

        def baseline(pages: list[str] = pages) -> None:
            [json.loads(p) for p in pages]

        def classified(pages: list[str] = pages) -> None:
            changes = [c for p in pages for c in json.loads(p)["Changes"]]
            plan = plan_from_pages({"ChangeSetName": "bench", "Status": "CREATE_COMPLETE"}, changes)
            plan.as_json()

        base, full = median_ms(baseline), median_ms(classified)
        print(
            f"{n:>6} changes: classify + verdict + JSON {full:8.2f} ms   baseline (json decode) {base:8.2f} ms"
            f"   ratio {full / base:5.1f}x"
        )


if __name__ == "__main__":
    main()
