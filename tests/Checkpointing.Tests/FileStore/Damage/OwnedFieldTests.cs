using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// A field the library writes itself is never written twice: before, a <c>"response": null</c> (which the Python
/// manager can write) was kept as an unknown field and written again beside <c>"response": ""</c>, and after a resume
/// and dispose every load failed with a duplicate key.
/// </summary>
public sealed class OwnedFieldTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("{\"text\":\"x\"}")]
    public async Task ANonStringResponse_ReadsAsEmpty_AndIsWrittenBackAsItWas_OnceOnly(string stored)
    {
        var directory = PythonStyleCard.Write(_temp.Combine("card"), PythonStyleCard.Document(PythonStyleCard.Stage("s", response: stored)));
        var manager = new CheckpointManager(DamagedCard.CardId, new FileSystemCheckpointRepository(directory));
        await using (manager)
        {
            var resumed = await manager.ResumeAsync();
            resumed!.StageCheckpoints["s"].LlmResponses[0].Response.Should().BeEmpty();
            await manager.SaveStageCheckpointAsync("t", StageStatus.Completed);
        }

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId);
        loaded!.StageCheckpoints.Keys.Should().Equal("s", "t");
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(directory, DamagedCard.CardId + ".json")));
        var response = document.RootElement.GetProperty("stage_checkpoints").GetProperty("s").GetProperty("llm_responses")[0];
        response.EnumerateObject().Count(p => p.Name == "response").Should().Be(1);
        JsonNode.DeepEquals(JsonNode.Parse(response.GetProperty("response").GetRawText()), JsonNode.Parse(stored))
            .Should().BeTrue("the stored value is written back as it was");
    }

    [Fact]
    public void ANonStringResponse_ReadByTheDatabaseCodec_IsWrittenBackOnceAsItWas()
    {
        var read = CheckpointJson.DeserializeCheckpoint(
            Encoding.UTF8.GetBytes(PythonStyleCard.Document(PythonStyleCard.Stage("s", response: "null"))), "db#row");

        var written = Encoding.UTF8.GetString(CheckpointJson.SerializeCheckpoint(read));

        written.Should().Contain("\"response\":null").And.NotContain("\"response\":\"\"");
        CheckpointJson.DeserializeCheckpoint(Encoding.UTF8.GetBytes(written), "db#row").Should().NotBeNull();
    }

    [Fact]
    public void AdditionalPropertiesNamedLikeOwnedFields_AreNeverWrittenBesideThem()
    {
        var extra = new Dictionary<string, JsonElement>
        {
            ["version"] = JsonSerializer.SerializeToElement(99),
            ["status"] = JsonSerializer.SerializeToElement("completed"),
            ["response"] = JsonSerializer.SerializeToElement("shadow"),
            ["model"] = JsonSerializer.SerializeToElement(5),
            ["custom"] = JsonSerializer.SerializeToElement(true),
        };
        var stage = Stages.Stage("s") with
        {
            AdditionalProperties = extra,
            LlmResponses = [new LlmResponse("p", "r") { Model = "m", AdditionalProperties = extra }, new LlmResponse("q", "r") { AdditionalProperties = extra }],
        };
        var checkpoint = Stages.Checkpoint() with { AdditionalProperties = extra, StageCheckpoints = new Dictionary<string, StageCheckpoint> { ["s"] = stage } };

        var bytes = CheckpointJson.SerializeCheckpoint(checkpoint);

        var read = CheckpointJson.DeserializeCheckpoint(bytes, "memory"); // a duplicate key would throw here
        read.Version.Should().Be(checkpoint.Version);
        read.StageCheckpoints["s"].LlmResponses[0].Model.Should().Be("m", "the response's own model wins");
        read.StageCheckpoints["s"].LlmResponses[1].AdditionalProperties["model"].GetInt32().Should().Be(5, "kept where the response has no model of its own");
        read.AdditionalProperties["custom"].GetBoolean().Should().BeTrue();
    }
}
