using System.Text.Json.Nodes;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// A field that every writer (this library's and the Python manager's) always writes is required: before, a snapshot
/// without <c>status</c> read as an active run, so a completed card ran every stage again, and <c>verify</c> called it
/// clean. A missing field is damage, reported with its name, and nothing is written.
/// </summary>
public sealed class MissingFieldTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("status")]
    [InlineData("created_at")]
    [InlineData("updated_at")]
    [InlineData("completed_stages")]
    [InlineData("stage_checkpoints")]
    [InlineData("checkpoint_id")]
    [InlineData("card_id")]
    public async Task ASnapshotWithoutARequiredField_IsRefusedAtLoad_NamingIt(string field)
    {
        var document = JsonNode.Parse(PythonStyleCard.Document([("s", PythonStyleCard.Stage("s"))], status: "completed"))!.AsObject();
        document.Remove(field).Should().BeTrue("the test removes a field the writer wrote");
        var directory = PythonStyleCard.Write(_temp.Combine("card"), document.ToJsonString());

        var error = await DamagedCard.AssertRefusedAsync(directory);

        error.Should().BeOfType<CheckpointCorruptedException>();
        error.Message.Should().Contain(field).And.Contain("required field is missing");
    }

    [Theory]
    [InlineData("failed_stages")]
    [InlineData("skipped_stages")]
    [InlineData("resume_count")]
    [InlineData("metadata")]
    public async Task AFieldWhoseAbsenceChangesNothing_MayBeMissing(string field)
    {
        var document = JsonNode.Parse(PythonStyleCard.Document([("s", PythonStyleCard.Stage("s"))], status: "completed"))!.AsObject();
        document.Remove(field).Should().BeTrue("the test removes a field the writer wrote");
        var directory = PythonStyleCard.Write(_temp.Combine("card"), document.ToJsonString());

        var loaded = await new FileSystemCheckpointRepository(directory).LoadAsync(DamagedCard.CardId);

        loaded!.Status.Should().Be(CheckpointStatus.Completed);
        loaded.CompletedStages.Should().Equal(["s"]);
    }
}
