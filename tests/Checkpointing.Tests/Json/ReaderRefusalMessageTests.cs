using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// The exact message of each refusal of a stored document or journal record: the file, the byte offset of a record, and
/// the full path of the field (stage key, response index), so the damage can be found by hand. Errors inside stage
/// records are raised as they are (never wrapped), the first in document order, whether the records were read in
/// parallel or in turn.
/// </summary>
public sealed class ReaderRefusalMessageTests
{
    private const string File = "/cards/CARD.json";

    public static TheoryData<string, string> DamagedDocuments() => new()
    {
        { Document().Replace("\"stages_completed\":0", "\"stages_completed\":\"x\"", StringComparison.Ordinal), "stages_completed: expected a 32-bit integer, found String" },
        { Document(status: "done"), "status: unknown checkpoint status 'done'" },
        { Document(stages: "[]"), "stage_checkpoints: expected an object, found Array" },
        { Document(stages: "{\"s\":[]}"), "stage_checkpoints.s: expected an object, found Array" },
        { Document(stages: $"{{\" \":{PythonStyleCard.Stage(" ")}}}"), "stage_checkpoints.\" \": a stage name is empty or white space" },
        { Document(Stage().Replace("\"stage_name\":\"s\",", "", StringComparison.Ordinal)), "stage_checkpoints.s.stage_name: required field is missing" },
        { Document(Stage().Replace("\"status\":\"completed\",", "", StringComparison.Ordinal)), "stage_checkpoints.s.status: required field is missing" },
        { Document(Stage().Replace("\"retry_count\":0", "\"retry_count\":-1", StringComparison.Ordinal)), "stage_checkpoints.s.retry_count: -1 is not a count the library can go on from" },
        { Document(Responses("{}")), "stage_checkpoints.s.llm_responses: expected an array, found Object" },
        { Document(Responses("[1]")), "stage_checkpoints.s.llm_responses[0]: expected an object, found Number" },
        { Document(Responses("[{\"prompt\":\"p\"},{\"prompt\":\"q\"},{\"prompt\":5}]")), "stage_checkpoints.s.llm_responses[2].prompt: expected a string, found Number" },
        { Document(extra: ",\"pending_llm_responses\":{\"next\":5}"), "pending_llm_responses.next: expected an array, found Number" },
        {
            PythonStyleCard.Document([("a", Completed("a", 600_000_000_000)), ("b", Completed("b", 600_000_000_000))]),
            "the completed stages' durations sum past what a TimeSpan holds"
        },
    };

    [Theory]
    [MemberData(nameof(DamagedDocuments))]
    public void DamagedDocument_IsRefusedNamingTheFieldsFullPath(string json, string problem) =>
        Refused(json).Message.Should().Be($"Checkpoint file '{File}' is corrupted: {problem}");

    [Theory]
    [InlineData(10)]
    [InlineData(100)] // from 64 records they are read in parallel
    public void DamagedStageRecords_TheFirstInDocumentOrderIsRaisedAsItIs(int count)
    {
        var names = Enumerable.Range(0, count).Select(i => $"s-{i:D3}").ToArray();
        var json = PythonStyleCard.Document(names.Select(n => (n, n is "s-004" or "s-007" or "s-070" ? Bad(n) : PythonStyleCard.Stage(n))));

        var error = Record.Exception(() => CheckpointJsonReader.ReadSnapshot(Encoding.UTF8.GetBytes(json), new JsonReadContext(File)));

        error.Should().BeOfType<CheckpointCorruptedException>("not wrapped in an AggregateException or a second CheckpointCorruptedException")
            .Which.Message.Should().Be($"Checkpoint file '{File}' is corrupted: stage_checkpoints.s-004.retry_count: -1 is not a count the library can go on from");

        static string Bad(string name) => PythonStyleCard.Stage(name).Replace("\"retry_count\":0", "\"retry_count\":-1", StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorOfTheJsonLayer_InAStageRecord_IsRefusedNamingTheStage()
    {
        // A stage record whose prompt is no placeholder of the texts cut out of its document: the skeleton's lookup fails.
        var source = Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s")));
        using var texts = LlmTextSkeleton.TryBuild(source, change: false)!;
        using var other = JsonDocument.Parse(PythonStyleCard.Document(PythonStyleCard.Stage("s", prompt: "\"7\"")));

        var act = () => CheckpointJsonReader.ReadSnapshot(other.RootElement, new JsonReadContext(File) { Texts = texts });

        act.Should().Throw<CheckpointCorruptedException>().Which.Message.Should().Be(
            $"Checkpoint file '{File}' is corrupted: stage_checkpoints.s: cannot be read (InvalidOperationException: An LLM text of the parsed document has no placeholder in its skeleton.)");
    }

    [Theory]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"teleported"}""", "type: unknown change type 'teleported'")]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"stage","stage":{"stage_name":"s"}}""", "stage.status: required field is missing")]
    public void DamagedJournalRecord_IsRefusedAtItsOffset_NamingTheField(string json, string problem)
    {
        var act = () => ChangeJsonReader.Read(Encoding.UTF8.GetBytes(json), new JsonReadContext("/cards/CARD.journal", 52, DeferResponseText: true));

        act.Should().Throw<CheckpointCorruptedException>().Which.Message.Should().Be($"Checkpoint file '/cards/CARD.journal' is corrupted at byte 52: {problem}");
    }

    private static string Stage() => PythonStyleCard.Stage("s");

    private static string Responses(string list) =>
        Stage().Replace("[{\"prompt\":\"a prompt\",\"response\":\"an answer\"}]", list, StringComparison.Ordinal);

    private static string Completed(string name, long seconds) =>
        PythonStyleCard.Stage(name).Replace("\"duration_seconds\":1.5", $"\"duration_seconds\":{seconds}", StringComparison.Ordinal);

    private static string Document(string? stage = null, string? stages = null, string extra = "", string status = "active")
    {
        var json = PythonStyleCard.Document([("s", stage ?? Stage())], extra, status);
        return stages is null ? json : json.Replace($"\"stage_checkpoints\":{{\"s\":{stage ?? Stage()}}}", $"\"stage_checkpoints\":{stages}", StringComparison.Ordinal);
    }

    private static CheckpointCorruptedException Refused(string json)
    {
        var act = () => CheckpointJsonReader.ReadSnapshot(Encoding.UTF8.GetBytes(json), new JsonReadContext(File));
        return act.Should().Throw<CheckpointCorruptedException>().Which;
    }
}
