"""Knowledge-base search bench: build, save/load, size, memory, latency at 20 queries/s, quality.

    .venv/bin/python bench/kb_bench.py --corpus /work/shared/corpus/provisions.jsonl \
        --questions /work/shared/corpus/dev_questions.jsonl

Memory is measured in a fresh process that only imports kb and loads the saved index, so the
number is what the index adds to a controller. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kb.corpus import read_provisions
from kb.evaluate import Question, evaluate, read_questions
from kb.index import SearchIndex

# Realistic caller questions besides the dev set (no labels: used for latency only).
CALLER_QUESTIONS = (
    "老板拖着不给我交社保怎么办",
    "公司让我签一份自愿放弃社保的声明，签了以后还能要求补缴吗？",
    "我在厂里干了八年，现在厂子要搬到外地，不去的话有没有补偿？",
    "試用期被辭退，公司說不用給任何補償，對嗎？",
    "一个月加班八十多个小时，这样合法吗，加班费怎么算？",
    "周末加班公司只给调休不给钱，可以吗？",
    "医保断缴了三个月，现在住院还能报销吗？",
    "我在外地看病，上海的医保能直接结算吗？",
    "下班骑电动车回家被车撞了，算不算工伤？",
    "工伤认定下来了，公司不肯出停工留薪期的工资怎么办？",
    "失业金怎么申请，需要带什么材料？",
    "怀孕了公司把我调到很远的岗位还降工资，合法吗？",
    "产假是多少天？生育津贴谁来发？",
    "公积金离职以后能全部取出来吗？",
    "在上海交社保满几年可以办居住证积分？",
    "农民工在工地干活，工钱被拖了半年，可以找谁？",
    "公司倒闭了，拖欠的工资和补偿谁来给？",
    "劳动仲裁的时效是多久，过了一年还能告吗？",
    "单位不给开离职证明，新公司不让入职怎么办？",
    "退休年龄是多少岁？女的五十岁就能退吗？",
    "养老保险交了十二年，差三年怎么办？",
    "年休假没休完，离职的时候能折算成钱吗？",
    "公司扣了我的毕业证，说干满三年才还，可以吗？",
    "派遣工和正式工干一样的活，工资差一半，合理吗？",
    'ＡＮＤ ＯＲ 社保 NOT 医保 *工伤* "辞退" (仲裁):~^',
    "😀😀 老闆不發工資 😡",
    "我想问一下，就是那个，嗯，社保卡丢了去哪里补办？",
    "低保怎么申请？家里老人生病没钱治。",
    "公司要求员工全部签不定时工时，不给加班费，可以吗？",
    "竞业限制签了两年，公司一直没给补偿，我还要遵守吗？",
)

LATENCY_RATE = 20.0  # queries per second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path, help="where to save the index (default: temp)")
    parser.add_argument("--latency-queries", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as scratch:
        directory = args.index_dir or Path(scratch) / "index"
        report = run(args.corpus, args.questions, directory, args.latency_queries)
    print(json.dumps(report, ensure_ascii=False))


def run(
    corpus: Path, questions_path: Path, directory: Path, latency_queries: int
) -> dict[str, object]:
    started = time.perf_counter()
    provisions = list(read_provisions(corpus))
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    index = SearchIndex.build(provisions)
    build_s = time.perf_counter() - started
    print(f"read corpus: {len(provisions)} provisions in {read_s:.2f} s")
    print(f"build: {build_s:.2f} s")
    started = time.perf_counter()
    index.save(directory)
    save_s = time.perf_counter() - started
    size = sum(path.stat().st_size for path in directory.iterdir())
    del index
    started = time.perf_counter()
    index = SearchIndex.load(directory)
    load_s = time.perf_counter() - started
    print(f"save: {save_s:.2f} s, load: {load_s:.2f} s, on disk: {size / 1e6:.1f} MB")
    memory = _memory_in_fresh_process(directory)
    print(
        f"RSS fresh process: {memory['before_mb']:.0f} MB before load, "
        f"{memory['after_load_mb']:.0f} MB after load, {memory['after_search_mb']:.0f} MB after "
        f"searches (index adds {memory['after_search_mb'] - memory['before_mb']:.0f} MB)"
    )
    questions = read_questions(questions_path)
    latency = _latency(
        index, [q.question for q in questions] + list(CALLER_QUESTIONS), latency_queries
    )
    print(
        f"latency at {LATENCY_RATE:.0f} q/s over {latency['queries']} queries: "
        f"p50 {latency['p50_ms']:.1f} ms, p99 {latency['p99_ms']:.1f} ms, "
        f"max {latency['max_ms']:.1f} ms"
    )
    quality = _quality(index, questions)
    for name, summary in quality.items():
        print(f"quality {name}: {summary}")
    return {
        "provisions": len(provisions),
        "build_s": round(build_s, 2),
        "save_s": round(save_s, 2),
        "load_s": round(load_s, 2),
        "disk_mb": round(size / 1e6, 1),
        "rss_mb": memory,
        "latency": latency,
        "quality": quality,
    }


def _latency(index: SearchIndex, queries: list[str], count: int) -> dict[str, float]:
    interval = 1.0 / LATENCY_RATE
    durations = []
    next_start = time.perf_counter()
    for number in range(count):
        delay = next_start - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()
        index.search(queries[number % len(queries)], top=10)
        durations.append((time.perf_counter() - started) * 1000)
        next_start += interval
    durations.sort()
    return {
        "queries": count,
        "p50_ms": round(durations[len(durations) // 2], 2),
        "p99_ms": round(durations[min(len(durations) - 1, int(len(durations) * 0.99))], 2),
        "max_ms": round(durations[-1], 2),
    }


def _quality(index: SearchIndex, questions: list[Question]) -> dict[str, dict[str, float | int]]:
    def search(text: str) -> list[str]:
        return [hit.id for hit in index.search(text, top=10)]

    traditional = [q for q in questions if q.script != "simplified"]
    return {
        "dev": evaluate(search, questions).summary(),
        "dev_traditional_or_mixed": evaluate(search, traditional).summary(),
    }


_MEMORY_PROBE = """
import json, sys
from pathlib import Path
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * 4096 / 1e6
import kb.index
before = rss()
index = kb.index.SearchIndex.load(Path(sys.argv[1]))
after_load = rss()
for q in ['老板不给我交社保', '工伤认定要多久', '失业金能领多久', '醫保怎麼報銷']:
    index.search(q)
print(json.dumps({'before_mb': before, 'after_load_mb': after_load, 'after_search_mb': rss()}))
"""


def _memory_in_fresh_process(directory: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(directory)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    values: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return {name: round(value, 1) for name, value in values.items()}


if __name__ == "__main__":
    main()
