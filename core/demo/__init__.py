"""The deterministic demo account: generator, hidden ground truth and summary."""

from core.demo.generator import build_demo_account
from core.demo.ground_truth import GroundTruth, load_ground_truth
from core.demo.summary import DemoSummary, summarize_account

__all__ = ["DemoSummary", "GroundTruth", "build_demo_account", "load_ground_truth", "summarize_account"]
