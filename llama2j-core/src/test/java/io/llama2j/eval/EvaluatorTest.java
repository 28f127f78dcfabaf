package io.llama2j.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class EvaluatorTest {

    /**
     * After 'x' a space has probability 1/2; after a space 'a' has 0.2 and 'b' 0.4; after 'b', 'b' has 0.4.
     * So " a" has likelihood 0.5·0.2 = 0.1 and " bb" 0.5·0.4·0.4 = 0.08: "a" is more likely in total,
     * "bb" more likely per character (ln 0.08 / 2 > ln 0.1 / 1).
     */
    private static final BigramModel MODEL = BigramModel.withProbabilities("xab Q", Map.of(
            'x', Map.of(' ', 0.5),
            ' ', Map.of('a', 0.2, 'b', 0.4),
            'b', Map.of('b', 0.4)));

    private static EvalReport run(EvalTask task, EvalSettings settings) {
        return new Evaluator(MODEL.llama, MODEL.tokenizer, settings).run("test", task, null);
    }

    @Test
    void accPicksTheMostLikelyChoiceAndAccNormTheMostLikelyPerCharacter() {
        EvalTask task = new EvalTask.MultipleChoice(List.of(
                new MultipleChoiceItem("x", List.of("a", "bb"), 0),
                new MultipleChoiceItem("x", List.of("a", "bb"), 1),
                new MultipleChoiceItem("x", List.of("bb", "a"), 1)));

        EvalReport r = run(task, EvalSettings.defaults());

        assertThat(r.details().getFirst().get("loglikelihoods")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .satisfiesExactly(
                        a -> assertThat((Double) a).isCloseTo(Math.log(0.1), within(1e-4)),
                        bb -> assertThat((Double) bb).isCloseTo(Math.log(0.08), within(1e-4)));
        // acc is right for items 0 and 2 ("a" chosen), acc_norm for item 1 ("bb" chosen)
        assertThat(r.metric("acc").value()).isCloseTo(2.0 / 3, within(1e-9));
        assertThat(r.metric("acc_norm").value()).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(r.metric("acc").stderr()).isCloseTo(Math.sqrt((1.0 / 3) / 3), within(1e-9));
        assertThat(r.details()).extracting(d -> d.get("predicted"), d -> d.get("predicted_norm"))
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 1), org.assertj.core.groups.Tuple.tuple(0, 1),
                        org.assertj.core.groups.Tuple.tuple(1, 0));
    }

    @Test
    void trailingSpaceOfTheContextMovesToTheContinuation() {
        ContinuationScorer scorer = new ContinuationScorer(MODEL.llama, MODEL.tokenizer, true, 8);

        ContinuationScore withSpace = scorer.score("x ", List.of("a")).getFirst();
        ContinuationScore without = scorer.score("x", List.of(" a")).getFirst();

        assertThat(withSpace.logLikelihood()).isCloseTo(without.logLikelihood(), within(1e-9));
        assertThat(withSpace.tokens()).isEqualTo(2);
        assertThat(withSpace.greedy()).isFalse(); // 'a' (0.2) is not the argmax after a space ('b', 0.4)
    }

    @Test
    void limitEvaluatesOnlyTheFirstItems() {
        EvalTask task = new EvalTask.MultipleChoice(List.of(
                new MultipleChoiceItem("x", List.of("a", "bb"), 0),
                new MultipleChoiceItem("x", List.of("a", "bb"), 1)));

        EvalReport r = run(task, EvalSettings.defaults().withLimit(1));

        assertThat(r.items()).isEqualTo(1);
        assertThat(r.metric("acc").value()).isEqualTo(1.0);
        assertThat(r.metric("acc").stderr()).isNaN();
    }

    @Test
    void fewShotExamplesComeFromOtherItemsAndNeedEnoughOfThem() {
        EvalTask task = new EvalTask.MultipleChoice(List.of(
                new MultipleChoiceItem("x", List.of("a", "bb"), 0),
                new MultipleChoiceItem("x", List.of("a", "bb"), 1)));

        // A bigram model looks only at the previous token, so the examples cannot change the choices' scores.
        EvalReport oneShot = run(task, EvalSettings.defaults().withShots(1));
        assertThat(oneShot.metric("acc").value()).isEqualTo(0.5);
        assertThatThrownBy(() -> run(task, EvalSettings.defaults().withShots(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 3 items");
    }

    @Test
    void itemsEvaluatedInShardsAndMergedInAnyOrderGiveTheReportOfOneRun() {
        List<MultipleChoiceItem> items = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) items.add(new MultipleChoiceItem("x", i % 2 == 0 ? List.of("a", "bb") : List.of("bb", "a"), i % 3 == 0 ? 0 : 1));
        EvalTask task = new EvalTask.MultipleChoice(items);
        EvalSettings settings = EvalSettings.defaults().withShots(2).withLimit(6);
        Evaluator evaluator = new Evaluator(MODEL.llama, MODEL.tokenizer, settings);

        int[][] plan = evaluator.fewShotPlan(task);
        assertThat(plan).hasNumberOfRows(6);
        List<ItemResult> shards = new java.util.ArrayList<>();
        for (int i : new int[]{5, 2, 0, 4, 1, 3}) {
            assertThat(plan[i]).hasSize(2).doesNotContain(i);
            shards.add(evaluator.evaluateItem(task, i, plan[i]));
        }
        EvalReport merged = evaluator.report("test", task, shards);

        EvalReport run = evaluator.run("test", task, null);
        assertThat(merged).isEqualTo(run);
        assertThat(merged.table()).isEqualTo(run.table());
        assertThat(Evaluator.metricNames(task)).containsExactly("acc", "acc_norm");
        assertThatThrownBy(() -> evaluator.report("test", task, shards.subList(0, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no result for item");
        assertThatThrownBy(() -> evaluator.report("test", task, java.util.stream.Stream.concat(shards.stream(), shards.stream().limit(1)).toList()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two results for item 5");
    }

    @Test
    void truthfulQaMc2IsTheProbabilityMassOfTheTrueAnswers() {
        TruthfulQaItem item = new TruthfulQaItem("Q", List.of("a", "b"), List.of(true, false),
                List.of("a", "b"), List.of(true, false));

        EvalReport r = run(new EvalTask.TruthfulQa(List.of(item)), EvalSettings.defaults());

        // " a" and " b" share the space's probability; then 0.2 vs 0.4: MC1 picks the false "b", MC2 = 0.2 / 0.6.
        assertThat(r.metric("mc1").value()).isEqualTo(0.0);
        assertThat(r.metric("mc2").value()).isCloseTo(1.0 / 3, within(1e-5));
    }

    @Test
    void truthfulQaTakesNoShots() {
        TruthfulQaItem item = new TruthfulQaItem("Q", List.of("a", "b"), List.of(true, false), List.of("a", "b"), List.of(true, false));

        assertThatThrownBy(() -> run(new EvalTask.TruthfulQa(List.of(item, item)), EvalSettings.defaults().withShots(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--shots must be 0");
    }

    @Test
    void generationIsScoredByExactMatchOfTheExtractedAnswer() {
        // Greedy after "Answer:" writes " 42" and stops at EOS: ':' → ' ' → '4' → '2' → EOS.
        String alphabet = "Questin:Awr 0123456789+?\n";
        Map<Character, Integer> successor = Map.of(':', id(alphabet, ' '), ' ', id(alphabet, '4'), '4', id(alphabet, '2'),
                '2', BigramModel.EOS);
        BigramModel eosAfterTwo = BigramModel.of(alphabet, (previous, next) -> {
            if (previous < BigramModel.FIRST_CHARACTER_ID) return 0f;
            Integer wanted = successor.get(alphabet.charAt(previous - BigramModel.FIRST_CHARACTER_ID));
            return wanted != null && wanted == next ? 10f : 0f;
        });
        EvalTask task = new EvalTask.Generation(List.of(
                new GenerationItem("What is 40+2?", "40 + 2 = 42\n#### 42"),
                new GenerationItem("What is 40+3?", "#### 43")));

        EvalReport r = new Evaluator(eosAfterTwo.llama, eosAfterTwo.tokenizer, EvalSettings.defaults()).run("gen", task, null);

        assertThat(r.details()).extracting(d -> d.get("generated")).containsOnly(" 42");
        assertThat(r.metric("exact_match_flexible").value()).isEqualTo(0.5);
        assertThat(r.metric("exact_match_strict").value()).isEqualTo(0.0);
    }

    private static int id(String alphabet, char c) {
        return BigramModel.FIRST_CHARACTER_ID + alphabet.indexOf(c);
    }

    @Test
    void theTableHasOneRowPerMetricAndTheJsonHoldsMetricsAndSamples() {
        EvalReport r = run(new EvalTask.MultipleChoice(List.of(new MultipleChoiceItem("x", List.of("a", "bb"), 0))),
                EvalSettings.defaults());

        assertThat(r.table().lines()).hasSize(3).anySatisfy(l -> assertThat(l).contains("acc_norm"));
        assertThat(r.toJson()).containsKeys("task", "format", "items", "shots", "metrics", "samples");
        @SuppressWarnings("unchecked") Map<String, Object> metrics = (Map<String, Object>) r.toJson().get("metrics");
        assertThat(metrics).containsEntry("acc", 1.0).containsKey("acc_stderr");
    }
}
