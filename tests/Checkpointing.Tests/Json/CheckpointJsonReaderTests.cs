using System.Text;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// How stored documents and journal records are read: what a missing optional field means, that the stage's key names
/// it, which response and usage shapes are interpreted (anything else is kept as it was), and what every refusal names.
/// </summary>
public sealed class CheckpointJsonReaderTests
{
    private static readonly JsonReadContext Context = new("/cards/CARD.json");

    [Fact]
    public void StageRecordWhoseNameDiffersFromItsKey_IsReadUnderItsKey()
    {
        var document = Read(PythonStyleCard.Document([("key-name", PythonStyleCard.Stage("inner-name"))]));

        document.Checkpoint.StageCheckpoints.Keys.Should().Equal("key-name");
        document.Checkpoint.StageCheckpoints["key-name"].StageName.Should().Be("key-name");
    }

    [Fact]
    public void ManyStageRecords_KeepDocumentOrder_AndTheFirstBadOneInDocumentOrderIsReported()
    {
        // From 64 stage records they are read in parallel.
        var names = Enumerable.Range(0, 100).Select(i => $"s-{i:D3}").ToArray();
        Read(PythonStyleCard.Document(names.Select(n => (n, PythonStyleCard.Stage(n))))).Checkpoint.StageCheckpoints.Keys.Should().Equal(names);

        var damaged = PythonStyleCard.Document(names.Select(n => (n, n is "s-040" or "s-070" ? PythonStyleCard.Stage(n).Replace("\"retry_count\":0", "\"retry_count\":-1", StringComparison.Ordinal) : PythonStyleCard.Stage(n))));
        Refused(damaged).Message.Should().Contain("stage_checkpoints.s-040.retry_count");
    }

    [Fact]
    public void OptionalFieldsMissingOrNull_ReadAsNone()
    {
        const string Stage = """{"stage_name":"s","status":"failed","start_time":null,"result":null}""";
        var document = Read("""{"checkpoint_id":"c","card_id":"CARD","status":"active","created_at":"2026-04-01T12:00:00+00:00","updated_at":"2026-04-01T12:00:00+00:00","completed_stages":[],"stage_checkpoints":{"s":""" + Stage + "}}");

        var checkpoint = document.Checkpoint;
        document.JournalId.Should().BeNull();
        checkpoint.FailedStages.Should().BeEmpty();
        checkpoint.SkippedStages.Should().BeEmpty();
        checkpoint.Version.Should().Be(0);
        checkpoint.ResumeCount.Should().Be(0);
        checkpoint.Metadata.Should().BeEmpty();
        checkpoint.PendingLlmResponses.Should().BeEmpty();
        var stage = checkpoint.StageCheckpoints["s"];
        stage.Status.Should().Be(StageStatus.Failed);
        stage.StartTime.Should().Be(default);
        stage.EndTime.Should().BeNull();
        stage.Result.Should().BeNull();
        stage.LlmResponses.Should().BeEmpty();
        stage.RetryCount.Should().Be(0);
    }

    [Fact]
    public void UnknownFields_AreKeptInDocumentOrder_AtEveryLevel()
    {
        var document = Read(PythonStyleCard.Document(PythonStyleCard.Stage("s", extra: ",\"z_stage\":1,\"a_stage\":[2]"), extra: ",\"zeta\":true,\"alpha\":{\"x\":1}"));

        document.Checkpoint.AdditionalProperties.Keys.Should().Equal("zeta", "alpha");
        document.Checkpoint.StageCheckpoints["s"].AdditionalProperties.Keys.Should().Equal("z_stage", "a_stage");
        document.Checkpoint.AdditionalProperties["alpha"].GetProperty("x").GetInt32().Should().Be(1);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public void SchemaVersion_UpToTheCurrentOne_IsRead_AndALaterOneIsRefusedAsAVersionProblem(int schemaVersion, bool readable)
    {
        var json = PythonStyleCard.Document(PythonStyleCard.Stage("s"), extra: $",\"schema_version\":{schemaVersion}");

        var act = () => CheckpointJsonReader.ReadSnapshot(Encoding.UTF8.GetBytes(json), Context);

        if (readable)
        {
            act.Should().NotThrow();
        }
        else
        {
            act.Should().Throw<CheckpointVersionException>();
        }
    }

    [Fact]
    public void Response_OnlyPromptIsRequired_AndOtherShapesAreKeptAsTheyWere()
    {
        var stage = PythonStyleCard.Stage("s", extra: "") .Replace(
            "{\"prompt\":\"a prompt\",\"response\":\"an answer\"}",
            "{\"prompt\":\"p\",\"model\":null,\"finish_reason\":7,\"request_key\":\"k\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"cost\":0.5,\"currency\":\"USD\"}},"
            + "{\"prompt\":\"q\",\"response\":\"r\",\"model\":\"m\",\"finish_reason\":\"stop\",\"request_key\":5,\"usage\":{\"prompt_tokens\":3}},"
            + "{\"prompt\":\"u\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"other\":1}},"
            + "{\"prompt\":\"v\",\"usage\":[1]}",
            StringComparison.Ordinal);
        var responses = Read(PythonStyleCard.Document(stage)).Checkpoint.StageCheckpoints["s"].LlmResponses;

        responses.Should().HaveCount(4);
        responses[0].Should().Match<LlmResponse>(r => r.Prompt == "p" && r.Response == "" && r.Model == null && r.RequestKey == "k" && r.FinishReason == null);
        responses[0].Usage.Should().Be(new LlmUsage(3, 4, 0.5m, "USD"));
        responses[0].AdditionalProperties.Keys.Should().Equal("finish_reason");
        responses[1].Should().Match<LlmResponse>(r => r.Response == "r" && r.Model == "m" && r.FinishReason == "stop" && r.RequestKey == null && r.Usage == null);
        responses[1].AdditionalProperties.Keys.Should().Equal("request_key", "usage");
        responses[2].Usage.Should().BeNull("only the exact shape this library writes is interpreted");
        responses[2].AdditionalProperties.Keys.Should().Equal("usage");
        responses[3].AdditionalProperties.Keys.Should().Equal("usage");
    }

    [Fact]
    public void Response_WithoutAPrompt_IsRefusedNamingIt()
    {
        var stage = PythonStyleCard.Stage("s").Replace("\"prompt\":\"a prompt\",", "", StringComparison.Ordinal);

        Refused(PythonStyleCard.Document(stage)).Message.Should().Contain("stage_checkpoints.s.llm_responses[0].prompt: required field is missing");
    }

    [Fact]
    public void PendingResponses_AreReadPerStage_AndAnEmptyStageNameIsRefused()
    {
        var pending = ",\"pending_llm_responses\":{\"next\":[{\"prompt\":\"p\",\"response\":\"r\"}]}";
        Read(PythonStyleCard.Document(PythonStyleCard.Stage("s"), extra: pending)).Checkpoint.PendingLlmResponses["next"].Should().ContainSingle()
            .Which.Response.Should().Be("r");

        Refused(PythonStyleCard.Document(PythonStyleCard.Stage("s"), extra: ",\"pending_llm_responses\":{\" \":[]}")).Message
            .Should().Contain("pending_llm_responses.\" \": a stage name is empty or white space");
        Refused(PythonStyleCard.Document(PythonStyleCard.Stage("s"), extra: ",\"pending_llm_responses\":[]")).Message
            .Should().Contain("pending_llm_responses: expected an object, found Array");
    }

    [Theory]
    [InlineData("checkpoint_id")]
    [InlineData("status")]
    [InlineData("stage_checkpoints")]
    public void DocumentWithoutARequiredField_IsRefusedNamingIt(string field)
    {
        var json = PythonStyleCard.Document(PythonStyleCard.Stage("s"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove(field);

        Refused(node.ToJsonString()).Message.Should().Contain($"{field}: required field is missing");
    }

    [Fact]
    public void StageWithAnUnknownStatus_IsRefusedSayingWhichAreKnown() =>
        Refused(PythonStyleCard.Document(PythonStyleCard.Stage("s").Replace("\"completed\"", "\"done\"", StringComparison.Ordinal))).Message
            .Should().Contain("stage_checkpoints.s.status: unknown stage status 'done' (expected completed, failed or skipped)");

    [Fact]
    public void DocumentThatIsNotAnObject_IsRefused() =>
        Refused("[1]").Message.Should().Contain("document: expected an object, found Array");

    [Theory]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"status","status":"paused"}""", null)]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"status","status":"paused","reason":"user"}""", "user")]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"status","status":"paused","reason":null}""", null)]
    public void StatusChange_ReasonIsOptional(string json, string? reason)
    {
        var change = ChangeJsonReader.Read(Encoding.UTF8.GetBytes(json), Context);

        change.Should().BeEquivalentTo(new StatusChanged(2, new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero), CheckpointStatus.Paused, reason));
    }

    [Theory]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"current_stage","stage_name":"s"}""", typeof(CurrentStageSet))]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"resumed"}""", typeof(CheckpointResumed))]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"llm_response","stage_name":"s","response":{"prompt":"p"}}""", typeof(LlmResponseCached))]
    public void EveryChangeType_IsRead(string json, Type type) =>
        ChangeJsonReader.Read(Encoding.UTF8.GetBytes(json), Context).Should().BeOfType(type).And.Match<CheckpointChange>(c => c.Version == 2);

    [Theory]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"teleported"}""", "type: unknown change type 'teleported'")]
    [InlineData("""{"t":"2026-04-01T00:00:00+00:00","type":"resumed"}""", "v: required field is missing")]
    [InlineData("""{"v":2,"type":"resumed"}""", "t: required field is missing")]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00"}""", "type: required field is missing")]
    [InlineData("""{"v":2,"t":"2026-04-01T00:00:00+00:00","type":"current_stage","stage_name":""}""", "stage_name: a stage name is empty or white space")]
    [InlineData("""[]""", "record: expected an object, found Array")]
    public void RecordThatCannotBeAChange_IsRefusedSayingWhy(string json, string problem)
    {
        var act = () => ChangeJsonReader.Read(Encoding.UTF8.GetBytes(json), new JsonReadContext("/cards/CARD.journal", 52));

        act.Should().Throw<CheckpointCorruptedException>().Which.Should().Match<CheckpointCorruptedException>(e => e.Offset == 52)
            .And.Subject.As<CheckpointCorruptedException>().Message.Should().Contain(problem);
    }

    private static SnapshotDocument Read(string json) => CheckpointJsonReader.ReadSnapshot(Encoding.UTF8.GetBytes(json), Context);

    private static CheckpointCorruptedException Refused(string json)
    {
        var act = () => Read(json);
        return act.Should().Throw<CheckpointCorruptedException>().Which;
    }
}
