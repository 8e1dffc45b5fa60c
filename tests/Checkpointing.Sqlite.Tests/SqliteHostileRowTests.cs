using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Sqlite.Tests;

/// <summary>
/// Rows the library never writes get a typed answer from the SQLite store too: before, a lone surrogate escape or
/// invalid UTF-8 escaped as <see cref="InvalidOperationException"/>, and a change after completion was applied.
/// </summary>
public sealed class SqliteHostileRowTests : SqliteTestBase
{
    public static TheoryData<object, string> HostileDocuments() => new()
    {
        { "\\ud800", "a lone surrogate escape" },
        { new byte[] { 0xC3, 0x28 }, "invalid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(HostileDocuments))]
    public async Task UndecodableTextInTheDocument_IsCorrupted_AndCannotBeResumed(object text, string what)
    {
        await Open().SaveAsync(CheckpointSamples.Checkpoint("CARD-1"));
        var document = System.Text.Encoding.UTF8.GetBytes(Raw.Text(Database.Path, "SELECT document FROM checkpoint_documents WHERE card_id = 'CARD-1'")!);
        var marker = System.Text.Encoding.UTF8.GetBytes("\"card_id\":\"CARD-1\"");
        var at = document.AsSpan().IndexOf(marker);
        at.Should().BeGreaterThanOrEqualTo(0);
        var inserted = text as byte[] ?? System.Text.Encoding.UTF8.GetBytes((string)text);
        byte[] hostile = [.. document[..at], .. "\"extra\":\""u8.ToArray(), .. inserted, .. "\","u8.ToArray(), .. document[at..]];
        Raw.Execute(Database.Path, "UPDATE checkpoint_documents SET document = $d WHERE card_id = 'CARD-1'", ("$d", hostile));

        var error = (await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>(what)).Which;

        error.Path.Should().Contain("checkpoints[card_id='CARD-1']");
        var manager = new CheckpointManager("CARD-1", Open());
        await using (manager)
        {
            (await manager.CanResumeAsync()).Should().BeFalse();
        }
    }

    [Fact]
    public async Task ChangeRowAfterCompletion_IsCorrupted()
    {
        var repository = Open();
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1");
        await repository.SaveAsync(checkpoint);
        var completed = new StatusChanged(checkpoint.Version + 1, CheckpointSamples.At(1), CheckpointStatus.Completed);
        var applied = new AppliedChange(checkpoint, completed);
        checkpoint = applied.Checkpoint;
        await repository.SaveChangeAsync(applied);

        // Forge the next row as a writer that ignored the completion would have.
        var late = CheckpointJson.SerializeChange(new CurrentStageSet(checkpoint.Version + 1, CheckpointSamples.At(2), "late"));
        Raw.Execute(Database.Path, "INSERT INTO checkpoint_changes (card_id, version, change) VALUES ('CARD-1', $v, $c)", ("$v", checkpoint.Version + 1), ("$c", late));
        Raw.Execute(Database.Path, "UPDATE checkpoints SET version = version + 1 WHERE card_id = 'CARD-1'");

        var error = (await FluentActions.Awaiting(() => Open().LoadAsync("CARD-1")).Should().ThrowAsync<CheckpointCorruptedException>()).Which;

        error.Message.Should().Contain("completion");
    }
}
