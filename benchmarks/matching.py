"""Matching benchmark: ``match_papers`` over many subscriptions and one digest, nothing else.

Generates ``--subscriptions`` filter rules in the shapes people write (organisations,
tags, keywords, score and upvote thresholds, negations, ``all``) and a digest of
``--papers`` papers with organisations, tags, titles and summaries drawn from the same
vocabulary, all from a seeded random generator. Rules are parsed before timing, as the
planner caches parsed rules. Reported: the median wall and CPU time of ``--repeat``
matching runs, matches found, distinct rules, and the process's peak RSS.

    .venv/bin/python benchmarks/matching.py
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.matcher.filters import Rule, parse_rule
from bot.matcher.match import match_papers
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Paper

ORGS = ["Google", "Google DeepMind", "Google Research", "Meta", "Meta FAIR", "OpenAI",
        "Anthropic", "Microsoft", "Microsoft Research", "NVIDIA", "Apple", "Amazon",
        "Alibaba", "Alibaba Qwen", "Tencent", "Tencent Hunyuan", "ByteDance", "ByteDance Seed",
        "Baidu", "Huawei", "DeepSeek", "Moonshot AI", "Zhipu AI", "MiniMax", "Shanghai AI Lab",
        "Tsinghua University", "Peking University", "Fudan University", "Zhejiang University",
        "Shanghai Jiao Tong University", "MIT", "Stanford University", "UC Berkeley",
        "Carnegie Mellon University", "University of Oxford", "ETH Zurich", "KAIST",
        "National University of Singapore", "The Hong Kong University of Science and Technology",
        "City University of Hong Kong", "Mistral AI", "Hugging Face", "Allen Institute for AI",
        "Salesforce", "Adobe", "Samsung", "Sony AI", "IBM Research", "Intel Labs",
        "Kuaishou", "Xiaomi", "Meituan", "JD", "SII - GAIR", "TongyiLab", "Ant Group"]
TAGS = ["Frontier Lab", "Super Lab", "Must Read", "Viral", "Open Source", "Benchmark",
        "Agent", "Multimodal", "Efficiency", "Theory"]
KEYWORDS = ["diffusion", "agent", "reasoning", "RLHF", "reinforcement learning", "benchmark",
            "video", "3D", "retrieval", "RAG", "long context", "KV cache", "attention",
            "sparse", "distillation", "quantization", "MoE", "tokenizer", "speech", "robot",
            "GUI", "code", "math", "alignment", "safety", "hallucination", "vision-language",
            "world model", "planning", "memory", "tool use", "search", "preference",
            "reward model", "chain-of-thought", "scaling", "pretraining", "fine-tuning", "LoRA",
            "evaluation", "medical", "segmentation", "depth", "stereo", "generation",
            "editing", "compression", "inference", "serving", "latent", "transformer",
            "state space", "Mamba", "graph", "recommendation", "translation", "OCR",
            "document", "table", "chart", "audio", "music", "protein", "chemistry",
            "weather", "autonomous driving", "embodied", "navigation", "manipulation",
            "multilingual", "Chinese", "low-resource", "privacy", "federated", "watermark",
            "jailbreak", "red teaming", "interpretability", "probing", "circuits",
            "uncertainty", "calibration", "data", "synthetic data", "curriculum", "self-play",
            "verifier", "process reward", "test-time", "speculative decoding", "pruning",
            "mixture", "routing", "contrastive", "self-supervised", "masked", "autoregressive",
            "flow matching", "consistency", "sampling"]


def _quote(value: str) -> str:
    return f'"{value}"' if " " in value else value


def make_rule_text(rng: random.Random) -> str:
    """Return one filter as a user might type it, in one of the common shapes."""
    shape = rng.random()
    org, other = rng.sample(ORGS, 2)
    keyword, keyword_2 = rng.sample(KEYWORDS, 2)
    tag = rng.choice(TAGS)
    score = rng.choice([25, 30, 35, 40, 45])
    if shape < 0.20:
        return _quote(org)
    if shape < 0.35:
        return f"org:{_quote(org)} org:{_quote(other)}"
    if shape < 0.50:
        return f"{_quote(org)} score>={score}"
    if shape < 0.65:
        text = f"kw:{_quote(keyword)}"
        return text + " -tag:Viral" if rng.random() < 0.3 else text
    if shape < 0.75:
        return f"tag:{_quote(tag)} score>={score}"
    if shape < 0.85:
        return f"kw:{_quote(keyword)} kw:{_quote(keyword_2)} upvotes>{rng.choice([5, 10, 20, 50])}"
    if shape < 0.90:
        return "all"
    return (f"{_quote(org)} kw:{_quote(keyword)} -tag:{_quote(tag)} score>={score} "
            f"score<{score + 20}")


def make_paper(rank: int, rng: random.Random) -> Paper:
    """Return a paper whose fields come from the benchmark's vocabulary."""
    words = rng.sample(KEYWORDS, 4)
    title = f"{words[0].title()} for {words[1]}: towards {words[2]} with {words[3]}"
    return Paper(
        rank=rank, featured=rng.random() < 0.1, title_zh=f"面向{words[1]}的{words[0]}研究",
        title_en=title, arxiv_id=f"2602.{10000 + rank}",
        url=f"https://arxiv.org/abs/2602.{10000 + rank}", org=rng.choice(ORGS),
        score=round(rng.uniform(15, 60), 2), tags=rng.sample(TAGS, rng.randint(0, 2)),
        upvotes=rng.randint(0, 80), stars=rng.randint(0, 500),
        summary="本文研究" + "、".join(rng.sample(KEYWORDS, 5)) + "。",
        highlights=[f"提出 {word} 方法" for word in rng.sample(KEYWORDS, 3)])


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the inputs, time the matching runs and return the measurements."""
    rng = random.Random(args.seed)
    texts = [make_rule_text(rng) for _ in range(args.subscriptions)]
    papers = [make_paper(rank, rng) for rank in range(1, args.papers + 1)]
    orgs = OrgMatcher.from_alias_file(None)
    parse_started = time.perf_counter()
    parsed: dict[str, Rule] = {}
    subscriptions = []
    for number, text in enumerate(texts):
        if text not in parsed:
            parsed[text] = parse_rule(text)
        subscriptions.append((number, parsed[text]))
    parse_seconds = time.perf_counter() - parse_started

    walls, cpus, matches = [], [], 0
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = match_papers(papers, subscriptions, orgs)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        matches = sum(len(found) for found in result.values())
    return {
        "subscriptions": args.subscriptions, "distinct_rules": len(parsed),
        "papers": args.papers, "matches": matches,
        "subscribers_matched": len(result),
        "parse_seconds": parse_seconds,
        "match_wall_seconds_median": statistics.median(walls),
        "match_cpu_seconds_median": statistics.median(cpus),
        "match_wall_seconds_max": max(walls),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Parse the options, run the benchmark and print its measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=100_000,
                        help="subscriptions to match (default 100000)")
    parser.add_argument("--papers", type=int, default=100,
                        help="papers in the digest (default 100)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument("--seed", type=int, default=20260220, help="random seed")
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
