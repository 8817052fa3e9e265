"""How a video's keyframes are chosen: read by the sampler, and by the price estimate of a dry run
(which must not load a video decoder to say what a video would cost)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """How keyframes are chosen; the defaults are the app's, chosen in bench_video_analysis.py."""

    interval_s: float = 2.0  # at least one frame this often while the picture changes
    probe_s: float = 0.5  # how often the picture is looked at to find cuts
    max_frames: int = 240  # per video; a longer video gets a longer interval
    scene_change: float = 30.0  # mean grey-level jump (0..255) between probes that counts as a cut
    duplicate: float = 6.0  # mean grey-level difference under which a frame repeats the last kept one
    blank: float = 4.0  # grey-level spread under which a frame is blank (black, a fade): nothing to see
    seek_gap_s: float = 4.0  # probes farther apart than this are reached by seeking
    deadline_s: float = 300.0  # decoding one video never takes longer than this

    def spacing(self, duration_s: float) -> tuple[float, float]:
        """(interval, probe step) for a video of ``duration_s``: interval frames take at most three
        quarters of ``max_frames``, leaving the rest for cuts."""
        interval = max(self.interval_s, duration_s / max(1.0, self.max_frames * 0.75))
        probe = max(self.probe_s, interval / 4)
        return interval, probe
