"""Pure genetic operators over genomes (name → number); no I/O, seeded by the caller.

One generation, in order:

- feedback: `score` is the mean of the feedback values (each 0–1); every fitness moves toward
  `score · f / best` by `pressure`: `f ← (1 − p)·f + p·score·f/best`;
- elitism: the best `ceil(elite_fraction · n)` individuals survive unchanged;
- selection: each parent is the fittest of 3 drawn at random (tournament);
- crossover: with probability `crossover_rate` each gene comes from either parent (uniform),
  otherwise the child copies parent 1;
- mutation: each gene, with probability `mutation_rate`, gains Gaussian noise
  σ = 0.1·max(|gene|, 0.1);
- child fitness: the parents' fitness weighted by the genes each gave, times
  (1 − 0.5·share of mutated genes) — an estimate until later feedback re-scores it.

Diversity is the mean pairwise distance between genomes, each gene scaled by its range, in 0–1.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

Genome = dict[str, float]

TOURNAMENT_SIZE = 3
MUTATION_SCALE = 0.1


@dataclass(frozen=True)
class Member:
    genome: Genome
    fitness: float
    parents: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rates:
    mutation_rate: float = 0.05
    crossover_rate: float = 0.7
    elite_fraction: float = 0.1
    pressure: float = 0.3


@dataclass
class Generation:
    """The next population and what it took to make it."""

    members: list[Member]
    mutations: int = 0
    crossovers: int = 0
    elites: list[int] = field(default_factory=list)


def apply_feedback(
    members: list[Member], feedback: dict[str, float], pressure: float
) -> list[Member]:
    if not feedback or not members:
        return members
    score = sum(feedback.values()) / len(feedback)
    best = max(m.fitness for m in members) or 1.0
    return [
        Member(
            genome=m.genome,
            fitness=_unit((1 - pressure) * m.fitness + pressure * score * m.fitness / best),
            parents=m.parents,
        )
        for m in members
    ]


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def _tournament(members: list[Member], rng: random.Random) -> int:
    drawn = [rng.randrange(len(members)) for _ in range(min(TOURNAMENT_SIZE, len(members)))]
    return max(drawn, key=lambda i: (members[i].fitness, -i))


def next_generation(members: list[Member], rates: Rates, rng: random.Random) -> Generation:
    """Elites, then children bred by tournament selection, crossover and mutation."""
    n = len(members)
    if n == 0:
        return Generation(members=[])
    ranked = sorted(range(n), key=lambda i: (-members[i].fitness, i))
    elite_count = min(n, max(1, math.ceil(rates.elite_fraction * n)))
    result = Generation(
        members=[members[i] for i in ranked[:elite_count]], elites=ranked[:elite_count]
    )
    genes = sorted({name for m in members for name in m.genome})
    while len(result.members) < n:
        first, second = _tournament(members, rng), _tournament(members, rng)
        a, b = members[first], members[second]
        crossed = rng.random() < rates.crossover_rate
        child: Genome = {}
        from_a = 0
        for gene in genes:
            use_b = gene not in a.genome or (crossed and gene in b.genome and rng.random() < 0.5)
            child[gene] = (b if use_b else a).genome[gene]
            from_a += not use_b
        mutated = 0
        for gene in genes:
            if rng.random() < rates.mutation_rate:
                child[gene] += rng.gauss(0.0, MUTATION_SCALE * max(abs(child[gene]), 0.1))
                mutated += 1
        share_a = from_a / len(genes) if genes else 1.0
        estimate = share_a * a.fitness + (1 - share_a) * b.fitness
        penalty = 1 - 0.5 * (mutated / len(genes) if genes else 0.0)
        result.members.append(
            Member(genome=child, fitness=_unit(estimate * penalty), parents=(first, second))
        )
        result.crossovers += int(crossed)
        result.mutations += mutated
    return result


def diversity(genomes: list[Genome]) -> float:
    """Mean pairwise distance of genomes with every gene scaled to its observed range (0–1)."""
    if len(genomes) < 2:
        return 0.0
    genes = sorted({name for g in genomes for name in g})
    spans = {}
    for gene in genes:
        values = [g.get(gene, 0.0) for g in genomes]
        spans[gene] = (max(values) - min(values)) or 1.0
    total = 0.0
    pairs = 0
    for x, y in itertools.combinations(genomes, 2):
        squared = sum(((x.get(k, 0.0) - y.get(k, 0.0)) / spans[k]) ** 2 for k in genes)
        total += math.sqrt(squared / len(genes)) if genes else 0.0
        pairs += 1
    return _unit(total / pairs)


SHIFT_THRESHOLD = 0.05


def shifted_genes(before: list[Member], after: list[Member]) -> list[str]:
    """Genes whose population mean moved by more than 5 % of its previous magnitude."""
    shifted = []
    genes = sorted({name for m in before for name in m.genome})
    for gene in genes:
        old = [m.genome[gene] for m in before if gene in m.genome]
        new = [m.genome[gene] for m in after if gene in m.genome]
        if not old or not new:
            continue
        old_mean, new_mean = sum(old) / len(old), sum(new) / len(new)
        if abs(new_mean - old_mean) > SHIFT_THRESHOLD * max(abs(old_mean), 1e-9):
            shifted.append(gene)
    return shifted
