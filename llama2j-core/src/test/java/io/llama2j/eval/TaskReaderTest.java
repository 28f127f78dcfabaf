package io.llama2j.eval;

import io.llama2j.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskReaderTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void multipleChoiceLinesAreRecognisedAndAQuestionIsAskedAsQuestionAnswer() throws Exception {
        Path f = write("arc.jsonl", """
                {"question": "What is 2+2?", "choices": ["3", "4"], "answer": 1}

                {"context": "The cat", "choices": ["sat", "flew"], "answer": 0}
                """);

        EvalTask task = TaskReader.read(f, TaskFormat.AUTO);

        assertThat(task).isInstanceOfSatisfying(EvalTask.MultipleChoice.class, mc -> {
            assertThat(mc.items()).hasSize(2);
            assertThat(mc.items().get(0).prompt()).isEqualTo("Question: What is 2+2?\nAnswer:");
            assertThat(mc.items().get(1).prompt()).isEqualTo("The cat");
        });
    }

    @Test
    void generationItemsAreRecognisedByQuestionAndAnswer() throws Exception {
        Path f = write("gsm.jsonl", "{\"question\": \"1+1?\", \"answer\": \"1+1=2\\n#### 2\"}\n");

        assertThat(TaskReader.read(f, TaskFormat.AUTO)).isInstanceOf(EvalTask.Generation.class);
    }

    @Test
    void theTruthfulQaFileHas817QuestionsEachWithOneMc1Answer() throws Exception {
        EvalTask task = TaskReader.read(TestData.file("datasets/truthfulqa-mc_task-v1.json"), TaskFormat.AUTO);

        assertThat(task).isInstanceOfSatisfying(EvalTask.TruthfulQa.class, t -> {
            assertThat(t.items()).hasSize(817);
            assertThat(t.items().getFirst().mc1Answers().getFirst()).isEqualTo("Nothing in particular happens when you eat a pomegranate.");
            assertThat(t.items().getFirst().mc1Answer()).isZero();
            assertThat(t.items().stream().mapToInt(i -> i.mc2Answers().size()).sum()).isEqualTo(6204);
        });
    }

    @Test
    void anAnswerOutsideTheChoicesIsRejectedNamingFileAndLine() throws Exception {
        Path f = write("bad.jsonl", "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"answer\": 0}\n"
                + "{\"context\": \"a\", \"choices\": [\"b\", \"c\"], \"answer\": 2}\n");

        assertThatThrownBy(() -> TaskReader.read(f, TaskFormat.AUTO))
                .hasMessageContaining("bad.jsonl").hasMessageContaining("line 2").hasMessageContaining("answer index 2");
    }

    @Test
    void brokenJsonAndUnknownShapesAreRejectedClearly() throws Exception {
        Path broken = write("broken.jsonl", "{\"context\": \n");
        Path unknown = write("unknown.jsonl", "{\"text\": \"hello\"}\n");
        Path missing = write("missing.jsonl", "{\"choices\": [\"a\", \"b\"], \"answer\": 0}\n");

        assertThatThrownBy(() -> TaskReader.read(broken, TaskFormat.AUTO)).hasMessageContaining("line 1 is not valid JSON");
        assertThatThrownBy(() -> TaskReader.read(unknown, TaskFormat.AUTO)).hasMessageContaining("cannot tell the task format")
                .hasMessageContaining("[text]");
        assertThatThrownBy(() -> TaskReader.read(missing, TaskFormat.CHOICE)).hasMessageContaining("\"context\" or \"question\"");
    }
}
