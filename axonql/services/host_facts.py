"""What the machine is, as psutil sees it: CPUs, memory, load, disk space, packets, GPUs.

The NexusNet reference reports these in `/health` and `/stats`. GPUs are counted from the
NVIDIA driver's device nodes (`/dev/nvidia0` …): no GPU library is installed, so usage is
unknown (None) even where a GPU exists.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import psutil

from axonql.services.metrics_sampler import disk_path
from axonql.settings import Settings

MB = 1024 * 1024
_GPU_NODE = re.compile(r"^nvidia\d+$")


@dataclass(frozen=True)
class HostFacts:
    """The machine's size and its load now."""

    cpu_count: int
    memory_total_mb: float
    memory_used_mb: float
    load_1min: float
    load_5min: float
    load_15min: float
    disk_total_mb: float
    disk_used_mb: float
    disk_available_mb: float
    packets_sent: int
    packets_received: int
    gpu_count: int

    @property
    def gpu_available(self) -> bool:
        return self.gpu_count > 0


def gpu_count(devices: Path = Path("/dev")) -> int:
    """GPUs the NVIDIA driver exposes on this machine (0 where there is none)."""
    try:
        return sum(1 for entry in os.scandir(devices) if _GPU_NODE.match(entry.name))
    except OSError:
        return 0


def read_host_facts(settings: Settings) -> HostFacts:
    """The figures now; disk space is that of the filesystem holding the data directory."""
    disk = psutil.disk_usage(disk_path(settings))
    net = psutil.net_io_counters()
    one, five, fifteen = psutil.getloadavg()
    memory = psutil.virtual_memory()
    return HostFacts(
        cpu_count=psutil.cpu_count() or 1,
        memory_total_mb=round(memory.total / MB, 1),
        memory_used_mb=round((memory.total - memory.available) / MB, 1),
        load_1min=round(one, 2),
        load_5min=round(five, 2),
        load_15min=round(fifteen, 2),
        disk_total_mb=round(disk.total / MB, 1),
        disk_used_mb=round(disk.used / MB, 1),
        disk_available_mb=round(disk.free / MB, 1),
        packets_sent=int(net.packets_sent),
        packets_received=int(net.packets_recv),
        gpu_count=gpu_count(),
    )
