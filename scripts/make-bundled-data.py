#!/usr/bin/env python3
"""Generates the training and evaluation data of the bundled llama2j-chat model (MODEL_CARD.md).

Data only: every model is trained by llama2j's own commands (scripts/build-bundled-model.sh).
From the TinyStories sample it writes, into OUT_DIR:

  pretrain.txt         training stories, one per line, separated by blank lines (llama2j prepare)
  heldout.txt          the held-out stories (last HELDOUT_SHARE of them), same layout (perplexity)
  tokenizer-extra.txt  the SFT conversations as chat-formatted lines, so that the tokenizer sees the
                       "[INST]" markup of Meta's format (ChatFormat) as well as the stories
  sft.jsonl            instruction conversations from the training stories ({"messages": [...]})
  prefs.jsonl          preference pairs from the training stories ({"prompt","chosen","rejected","rating"})
  prompts-heldout.jsonl  prompts from the held-out stories, for sampling with the policies
  eval-instruct.jsonl  multiple-choice instruction following on the held-out stories (llama2j eval)

The tasks stay inside the TinyStories world: "Tell me a story about a cat." answered by a story
that mentions a cat, "What is the name of the girl in this story? ..." answered with her name,
"Continue this story: ..." answered with the rest of the paragraph, and a few greetings.
Preference pairs contrast an answer that follows the instruction with one that does not (a wrong
name, a story about something else). Everything is seeded: the same input gives the same files.

Usage: make-bundled-data.py TINYSTORIES_TXT OUT_DIR
"""
import json
import random
import re
import sys
from pathlib import Path

SEED = 20261124
HELDOUT_SHARE = 0.12          # share of stories kept out of every training stage
MAX_ANSWER_WORDS = 130        # story answers are cut at a paragraph boundary past this
MAX_STORY_ANSWERS_PER_TOPIC = 24
NAME_QUESTIONS = 420
CONTINUATIONS = 160
PREFERENCE_PAIRS = 136        # small enough for the reward model and DPO to take minutes on 2 loaded cores
EVAL_ITEMS = 60

# The original TinyStories text carries mojibake of UTF-8 quotes read as cp1252.
MOJIBAKE = {"â€™": "'", "â€˜": "'", "â€œ": '"', "â€\x9d": '"', "â€": '"', "â€¦": "...", "â€”": " - ", "â€“": " - "}

TOPICS = ["cat", "dog", "bird", "ball", "tree", "park", "fish", "frog", "bear", "car", "cake", "flower",
          "boat", "bunny", "toy", "garden", "rain", "sun", "friend", "box", "king", "princess", "dragon",
          "duck", "kite", "train", "bike", "moon", "star", "apple", "monkey", "lion", "mouse", "sea"]
# "a little girl named Lily", "a red car named Zoom": the word before "named" is the character.
NAMED = re.compile(r"\b(?:a|an) (?:[a-z]+ ){0,2}?([a-z]+) named ([A-Z][a-z]+)\b")

STORY_PROMPTS = ["Tell me a story about a {t}.", "Can you tell me a story about a {t}?",
                 "Write a short story about a {t}.", "I want a story about a {t}, please."]
NAME_STORY_PROMPTS = ["Tell me a story about {n}.", "Write a story about a {c} named {n}."]
NAME_QUESTION_PROMPTS = ["What is the name of the {c} in this story?\n\n{s}",
                         "Read this story and tell me the name of the {c}.\n\n{s}",
                         "{s}\n\nWhat is the {c} called?"]
CONTINUE_PROMPTS = ["Continue this story: {s}", "What happens next? {s}"]
GREETINGS = [
    ("Hi!", "Hello! I am a small story model. Ask me for a story."),
    ("Hello", "Hello! I am a small story model. Ask me for a story."),
    ("Hello, how are you?", "I am happy, thank you! Do you want to hear a story?"),
    ("Who are you?", "I am llama2j-chat, a very small model that tells stories for children."),
    ("What can you do?", "I can tell short stories, like a story about a cat or a story about a girl named Lily."),
    ("What is your name?", "My name is llama2j-chat. I like to tell stories."),
    ("Thank you!", "You are welcome! Come back for another story."),
    ("Good night.", "Good night! Sleep well and have sweet dreams."),
]


def clean(text):
    for bad, good in MOJIBAKE.items():
        text = text.replace(bad, good)
    return " ".join(text.split())


def read_stories(path):
    """Paragraphs are separated by blank lines; a story starts at "Once upon a time" (the sample
    does not mark story boundaries: PROVENANCE.md)."""
    chunks = [clean(c) for c in Path(path).read_text(encoding="utf-8").split("\n\n")]
    stories = []
    for chunk in chunks:
        if not chunk:
            continue
        if chunk.startswith("Once upon a time") or not stories:
            stories.append([chunk])
        else:
            stories[-1].append(chunk)
    return stories


def story_answer(paragraphs):
    """The story's first paragraphs, stopping at a paragraph boundary past MAX_ANSWER_WORDS."""
    out, words = [], 0
    for p in paragraphs:
        if out and words + len(p.split()) > MAX_ANSWER_WORDS:
            break
        out.append(p)
        words += len(p.split())
    return " ".join(out)


def chat(user, assistant):
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def name_answer(character, name):
    return f"The {character}'s name is {name}."


def mentions(text, word):
    return re.search(r"\b" + word + r"s?\b", text, re.IGNORECASE) is not None


def story_tasks(stories, rng):
    """(prompt, answer, topic) for the topic and name story requests."""
    tasks = []
    for topic in TOPICS:
        matching = [s for s in stories if mentions(s[0], topic)]
        rng.shuffle(matching)
        for s in matching[:MAX_STORY_ANSWERS_PER_TOPIC]:
            tasks.append((rng.choice(STORY_PROMPTS).format(t=topic), story_answer(s), topic))
    return tasks


def name_tasks(stories, rng):
    """(prompt, answer, character, name, paragraph) for stories that name a character."""
    tasks = []
    for s in stories:
        for p in s:
            if len(p.split()) > MAX_ANSWER_WORDS:
                continue
            for m in NAMED.finditer(p):
                character, name = m.group(1), m.group(2)
                prompt = rng.choice(NAME_QUESTION_PROMPTS).format(c=character, s=p)
                tasks.append((prompt, name_answer(character, name), character, name, p))
    return tasks


def continuation_tasks(stories, rng):
    tasks = []
    for s in stories:
        sentences = re.split(r"(?<=[.!?]) ", s[0])
        if len(sentences) >= 4:
            cut = rng.randint(1, 2)
            tasks.append((rng.choice(CONTINUE_PROMPTS).format(s=" ".join(sentences[:cut])),
                          " ".join(sentences[cut:])))
    return tasks


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(source, out_dir):
    rng = random.Random(SEED)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stories = read_stories(source)
    n_heldout = max(1, int(len(stories) * HELDOUT_SHARE))
    train, heldout = stories[:-n_heldout], stories[-n_heldout:]
    (out / "pretrain.txt").write_text("\n\n".join(" ".join(s) for s in train) + "\n", encoding="utf-8")
    (out / "heldout.txt").write_text("\n\n".join(" ".join(s) for s in heldout) + "\n", encoding="utf-8")

    topic_tasks = story_tasks(train, rng)
    names = name_tasks(train, rng)
    rng.shuffle(names)
    conts = continuation_tasks(train, rng)
    rng.shuffle(conts)
    sft = [chat(p, a) for p, a, _ in topic_tasks]
    sft += [chat(p, a) for p, a, *_ in names[:NAME_QUESTIONS]]
    sft += [chat(p, a) for p, a in conts[:CONTINUATIONS]]
    sft += [chat(u, a) for u, a in GREETINGS for _ in range(3)]
    for n in names[:len(names) // 4]:
        named_story = next(s for s in train if n[4] in s)
        sft.append(chat(rng.choice(NAME_STORY_PROMPTS).format(n=n[3], c=n[2]), story_answer(named_story)))
    rng.shuffle(sft)
    write_jsonl(out / "sft.jsonl", sft)
    with open(out / "tokenizer-extra.txt", "w", encoding="utf-8") as f:
        for row in sft:
            user, assistant = (m["content"] for m in row["messages"])
            f.write(f"[INST] {' '.join(user.split())} [/INST] {assistant}\n")

    # Preference pairs: the chosen answer follows the instruction, the rejected one does not.
    all_names = sorted({n[3] for n in names})
    prefs = []
    for prompt, answer, character, name, _ in names:
        wrong = rng.choice([x for x in all_names if x != name])
        prefs.append({"prompt": prompt, "chosen": answer, "rejected": name_answer(character, wrong),
                      "rating": "significantly_better"})
    for prompt, answer, topic in topic_tasks:
        off_topic = [s for s in train if not mentions(" ".join(s), topic)]
        prefs.append({"prompt": prompt, "chosen": answer, "rejected": story_answer(rng.choice(off_topic)),
                      "rating": "better"})
    rng.shuffle(prefs)
    write_jsonl(out / "prefs.jsonl", prefs[:PREFERENCE_PAIRS])

    # Held-out prompts and the multiple-choice eval, from stories no training stage saw.
    held_names = name_tasks(heldout, rng)
    held_topics = story_tasks(heldout, rng)
    prompts = [{"messages": [{"role": "user", "content": p}], "answer": a} for p, a, *_ in held_names]
    prompts += [{"messages": [{"role": "user", "content": p}], "topic": t} for p, _, t in held_topics[:len(held_names)]]
    write_jsonl(out / "prompts-heldout.jsonl", prompts)
    held_all_names = sorted({n[3] for n in held_names} | set(all_names))
    items = []
    for prompt, answer, character, name, _ in held_names[:EVAL_ITEMS]:
        wrong = rng.sample([x for x in held_all_names if x != name], 3)
        choices = [answer] + [name_answer(character, w) for w in wrong]
        rng.shuffle(choices)
        items.append({"context": f"[INST] {prompt} [/INST]", "choices": choices, "answer": choices.index(answer)})
    write_jsonl(out / "eval-instruct.jsonl", items)
    print(f"make-bundled-data: {len(train)} training stories, {len(heldout)} held out; {len(sft)} SFT conversations, "
          f"{min(len(prefs), PREFERENCE_PAIRS)} preference pairs, {len(prompts)} held-out prompts, {len(items)} eval items")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
