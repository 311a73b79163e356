"""A small probabilistic grammar whose words form analogy grids, its corpus and its exact
next-word ceiling (no download: the grammar is this module).

Every sentence comes from one of three templates, chosen with equal probability; each template
fills its slots uniformly at random:

- people: ``the NOUN(role, gender) ROLE_VERB(role) and PRONOUN(gender) END_VERB .``
- places: ``we visit the TYPE_WORD(type) of PLACE(nation, type) and speak LANGUAGE(nation) .``
- actions: ``TIME(tense) we VERB(lemma, tense) the OBJECT(lemma) .``

NOUN, PLACE and VERB are 6 x 2 grids (role x gender, nation x country/city, lemma x
present/past), so relations a:b :: c:d hold by construction (king:queen :: man:woman,
france:paris :: italy:rome, walks:walked :: jumps:jumped). Each word belongs to one category
(the slot it fills). Predicting the next word needs memory: the pronoun agrees with the noun
three words back, the language with the place three words back.
"""
from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np

from ..errors import ParameterError

END = "."
ROLES = {"royal": (("king", "queen"), ("rules", "reigns")), "heir": (("prince", "princess"), ("inherits", "waits")),
         "adult": (("man", "woman"), ("works", "drives")), "child": (("boy", "girl"), ("plays", "learns")),
         "parent": (("father", "mother"), ("cooks", "cares")), "sibling": (("brother", "sister"), ("teases", "shares"))}
PRONOUNS = ("he", "she")
END_VERBS = ("sleeps", "smiles", "sings")
NATIONS = {"france": ("paris", "french"), "italy": ("rome", "italian"), "spain": ("madrid", "spanish"),
           "japan": ("tokyo", "japanese"), "egypt": ("cairo", "egyptian"), "peru": ("lima", "peruvian")}
TYPE_WORDS = ("country", "city")
TIMES = ("today", "yesterday")
LEMMAS = {"walk": ("walks", "walked", "dog"), "jump": ("jumps", "jumped", "fence"),
          "paint": ("paints", "painted", "wall"), "climb": ("climbs", "climbed", "tree"),
          "read": ("reads", "read", "book"), "write": ("writes", "wrote", "letter")}

# the 6 x 2 analogy grids: rows share one attribute (role, nation, lemma), columns the other
GRIDS = {"people": [nouns for nouns, _ in ROLES.values()],
         "places": [(country, city) for country, (city, _) in NATIONS.items()],
         "actions": [(present, past) for present, past, _ in LEMMAS.values()]}

CATEGORIES = {"noun": [w for row in GRIDS["people"] for w in row],
              "role_verb": [v for _, vs in ROLES.values() for v in vs],
              "pronoun": list(PRONOUNS), "end_verb": list(END_VERBS), "type_word": list(TYPE_WORDS),
              "place": [w for row in GRIDS["places"] for w in row], "language": [lang for _, lang in NATIONS.values()],
              "time": list(TIMES), "verb": [w for row in GRIDS["actions"] for w in row],
              "object": [obj for _, _, obj in LEMMAS.values()]}


def sentences() -> list[tuple[tuple[str, ...], float]]:
    """Every sentence of the grammar (ending in END) with its probability; the probabilities sum to 1."""
    out = []
    people = list(itertools.product(ROLES.values(), range(2), range(2), END_VERBS))
    for (nouns, verbs), gender, v, end_verb in people:
        out.append((("the", nouns[gender], verbs[v], "and", PRONOUNS[gender], end_verb, END), 1 / 3 / len(people)))
    places = list(itertools.product(NATIONS.items(), range(2)))
    for (country, (city, language)), kind in places:
        place = (country, city)[kind]
        out.append((("we", "visit", "the", TYPE_WORDS[kind], "of", place, "and", "speak", language, END),
                     1 / 3 / len(places)))
    actions = list(itertools.product(range(2), LEMMAS.values()))
    for tense, forms in actions:
        out.append(((TIMES[tense], "we", forms[tense], "the", forms[2], END), 1 / 3 / len(actions)))
    return out


def vocabulary() -> list[str]:
    """All words, END first, then in order of first appearance in :func:`sentences`."""
    words = [END]
    for sentence, _ in sentences():
        words.extend(w for w in sentence if w not in words)
    return words


def sample_sentences(n: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """``n`` independent sentences drawn from the grammar."""
    if n < 1:
        raise ParameterError("sample_sentences: n", n, ">= 1")
    table = sentences()
    picks = rng.choice(len(table), size=n, p=[p for _, p in table])
    return [table[i][0] for i in picks]


def encode(sentences_: list[tuple[str, ...]], vocab: list[str]) -> np.ndarray:
    """One token stream: END, then each sentence (which ends in END), as integer ids."""
    index = {w: i for i, w in enumerate(vocab)}
    return np.array([index[END]] + [index[w] for s in sentences_ for w in s])


def next_word_distributions() -> dict[tuple[str, ...], dict[str, float]]:
    """P(next word | words of the current sentence so far), exactly, for every reachable prefix.

    Sentences are independent, so this is the optimal predictor given the whole history.
    """
    counts: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for sentence, p in sentences():
        for t in range(len(sentence)):
            counts[sentence[:t]][sentence[t]] += p
    return {prefix: {w: p / sum(nxt.values()) for w, p in nxt.items()} for prefix, nxt in counts.items()}


def ceiling_accuracy() -> float:
    """Long-run accuracy of the optimal next-word predictor on the token stream (END included):
    E[sum over a sentence's tokens of max_w P(w | prefix)] / E[tokens per sentence]."""
    table = sentences()
    dists = next_word_distributions()
    correct = sum(p * sum(max(dists[s[:t]].values()) for t in range(len(s))) for s, p in table)
    return correct / sum(p * len(s) for s, p in table)


def ceiling_predictions(stream: np.ndarray, vocab: list[str]) -> np.ndarray:
    """The optimal predictor's guess for each token after the first of ``stream`` (ties: first in vocab order)."""
    dists = next_word_distributions()
    index = {w: i for i, w in enumerate(vocab)}
    guesses, prefix = [], ()
    for token in stream[:-1]:
        word = vocab[token]
        prefix = () if word == END else (*prefix, word)
        options = dists[prefix]
        guesses.append(index[max(sorted(options, key=index.get), key=options.get)])
    return np.array(guesses)
