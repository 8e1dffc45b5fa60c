using System.Text;
using System.Text.Json;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// The file store parses a document's skeleton (its LLM texts cut out, <see cref="LlmTextSkeleton"/>) and keeps the texts
/// in the file's bytes: the result must be the checkpoint a whole parse reads, and a damaged text must still be
/// refused at load, with the error a whole parse gives.
/// </summary>
public sealed class LlmTextSkeletonTests
{
    /// <summary>Texts whose stored form is not their decoded form, or that look like a placeholder.</summary>
    public static TheoryData<string> TrickyTexts() => new()
    {
        string.Empty,
        "0",
        "1",
        "line one\nline \"two\"\t\\ end",
        "caf\u00e9 \u4e2d\u6587 \ud83d\ude00 </script>",
        "control \u0001 and \u001f",
        new string('x', 5000) + "\n" + new string('y', 3000),
    };

    [Theory]
    [MemberData(nameof(TrickyTexts))]
    public void Snapshot_ReadFromItsSkeleton_EqualsTheWholeParse_AndWritesBackTheSameBytes(string text)
    {
        var bytes = CheckpointJson.SerializeCheckpoint(Sample(text));

        var deferred = Read(bytes, defer: true);
        var whole = Read(bytes, defer: false);

        deferred.StageCheckpoints["plan"].LlmResponses.Should().Equal(whole.StageCheckpoints["plan"].LlmResponses);
        deferred.PendingLlmResponses["build"].Should().Equal(whole.PendingLlmResponses["build"]);
        CheckpointJson.SerializeCheckpoint(whole).Should().Equal(bytes);
        deferred.StageCheckpoints["plan"].LlmResponses[1].Prompt.Should().Be(text);
        deferred.StageCheckpoints["plan"].LlmResponses[1].Response.Should().Be(text + " answered");
        CheckpointJson.SerializeCheckpoint(Read(bytes, defer: true)).Should().Equal(bytes, "texts never decoded are written back as stored");
        CheckpointJson.SerializeCheckpoint(deferred).Should().Equal(bytes, "texts decoded are written back the same way");
    }

    [Fact]
    public void Skeleton_CutsOnlyTheTextsOfLlmResponses()
    {
        var bytes = CheckpointJson.SerializeCheckpoint(Sample("t"));

        using var skeleton = LlmTextSkeleton.TryBuild(bytes, change: false);

        skeleton.Should().NotBeNull();
        var text = Encoding.UTF8.GetString(skeleton!.Bytes.Span);
        text.Should().NotContain("t answered").And.NotContain("\"prompt\":\"t\"");
        text.Should().Contain("\"prompt\":\"in a result\"", "a prompt outside an LLM response is not a text")
            .And.Contain("\"prompt\":\"in metadata\"").And.Contain("\"prompt\":\"in an unknown field\"");
        Read(bytes, defer: true).StageCheckpoints["plan"].Result!.Value.GetProperty("prompt").GetString().Should().Be("in a result");
    }

    [Fact]
    public void EscapedPropertyName_IsReadByTheWholeParse()
    {
        var bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(CheckpointJson.SerializeCheckpoint(Sample("t")))
            .Replace("\"prompt\":\"t\"", "\"pro\\u006dpt\":\"t\"", StringComparison.Ordinal));

        LlmTextSkeleton.TryBuild(bytes, change: false).Should().BeNull();
        Read(bytes, defer: true).StageCheckpoints["plan"].LlmResponses[1].Prompt.Should().Be("t");
    }

    /// <summary>Damage inside a text deep in a large snapshot: the load refuses it with the whole parse's error.</summary>
    [Theory]
    [InlineData("\\x", "an escape JSON does not allow")]
    [InlineData("\\u12G4", "a \\u escape with a letter that is not hex")]
    [InlineData("\t", "a raw control character")]
    [InlineData("\\ud800", "a lone surrogate escape")]
    public void DamagedTextDeepInTheSnapshot_IsRefusedAtLoad_WithTheWholeParseError(string damage, string what)
    {
        var checkpoint = Stages.Checkpoint();
        for (var i = 0; i < 300; i++)
        {
            checkpoint = new StageRecorded(checkpoint.Version + 1, checkpoint.UpdatedAt, Stages.Stage($"stage-{i}") with
            {
                LlmResponses = [Stages.Response($"prompt {i}\nwith \"quotes\"", $"answer {i}\n" + new string('a', 500))],
            }).ApplyTo(checkpoint);
        }

        var text = Encoding.UTF8.GetString(CheckpointJson.SerializeCheckpoint(checkpoint));
        var damaged = text.Replace("answer 250\\n", "answer 250" + damage, StringComparison.Ordinal);
        damaged.Should().NotBe(text, what);
        var bytes = Encoding.UTF8.GetBytes(damaged);

        var deferred = Refusal(bytes, defer: true);
        var whole = Refusal(bytes, defer: false);

        deferred.Message.Should().Be(whole.Message, what);
        deferred.Offset.Should().Be(whole.Offset).And.BeGreaterThan(text.IndexOf("answer 250", StringComparison.Ordinal) - 200);
    }

    [Theory]
    [MemberData(nameof(TrickyTexts))]
    public void JournalChanges_ReadFromTheirSkeletons_EqualTheWholeParse(string text)
    {
        var at = DateTimeOffset.UnixEpoch;
        CheckpointChange[] changes =
        [
            new LlmResponseCached(2, at, "plan", Stages.Response(text, text + " answered")),
            new StageRecorded(3, at, Stages.Stage("plan") with { LlmResponses = [Stages.Response(text), Stages.Response("other", text)] }),
        ];

        foreach (var change in changes)
        {
            var bytes = CheckpointJson.SerializeChange(change);
            LlmTextSkeleton.TryBuild(bytes, change: true).Should().NotBeNull().And.Subject.As<IDisposable>().Dispose();
            var deferred = ChangeJsonReader.Read(bytes, new JsonReadContext("journal", 40, DeferResponseText: true));

            CheckpointJson.SerializeChange(deferred).Should().Equal(bytes);
            IReadOnlyList<LlmResponse> responses = deferred is LlmResponseCached cached ? [cached.Response] : ((StageRecorded)deferred).Stage.LlmResponses;
            responses.Should().Contain(response => response.Prompt == text || response.Response == text);
        }
    }

    [Fact]
    public void ResponseThatIsNotAString_IsKeptAsStored()
    {
        var bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(CheckpointJson.SerializeCheckpoint(Sample("t")))
            .Replace("\"response\":\"t answered\"", "\"response\":null", StringComparison.Ordinal));

        var deferred = Read(bytes, defer: true);

        deferred.StageCheckpoints["plan"].LlmResponses[1].Prompt.Should().Be("t");
        deferred.StageCheckpoints["plan"].LlmResponses[1].Response.Should().BeEmpty();
        CheckpointJson.SerializeCheckpoint(deferred).Should().Equal(bytes);
    }

    private static PipelineCheckpoint Sample(string text)
    {
        using var extra = JsonDocument.Parse("""{"prompt": "in an unknown field"}""");
        using var result = JsonDocument.Parse("""{"prompt": "in a result", "response": "also in a result"}""");
        using var metadata = JsonDocument.Parse("""{"prompt": "in metadata"}""");
        var checkpoint = Stages.Checkpoint();
        var stage = Stages.Stage("plan") with
        {
            Result = result.RootElement.Clone(),
            Metadata = new Dictionary<string, JsonElement> { ["note"] = metadata.RootElement.Clone() },
            LlmResponses =
            [
                Stages.Response("first", "first answer"),
                Stages.Response(text, text + " answered") with
                {
                    AdditionalProperties = new Dictionary<string, JsonElement> { ["extra"] = extra.RootElement.Clone() },
                },
            ],
        };
        checkpoint = new StageRecorded(2, checkpoint.UpdatedAt, stage).ApplyTo(checkpoint);
        return new LlmResponseCached(3, checkpoint.UpdatedAt, "build", Stages.Response(text, "pending " + text)).ApplyTo(checkpoint);
    }

    private static PipelineCheckpoint Read(byte[] bytes, bool defer) =>
        CheckpointJsonReader.ReadSnapshot(bytes, new JsonReadContext("snapshot.json", DeferResponseText: defer)).Checkpoint;

    private static CheckpointCorruptedException Refusal(byte[] bytes, bool defer)
    {
        var read = () => Read(bytes, defer);
        return read.Should().Throw<CheckpointCorruptedException>().Which;
    }
}
