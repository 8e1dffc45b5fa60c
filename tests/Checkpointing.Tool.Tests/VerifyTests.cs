using System.Text;
using Checkpointing.Sqlite;
using Checkpointing.Tests.Support;
using Checkpointing.Tool.Tests.Support;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Checkpointing.Tool.Tests;

/// <summary>verify reads every file (or row) in full: exit 0 when nothing is damaged, 1 with file and offset when something is.</summary>
public sealed class VerifyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Verify_CleanFixtures_ExitsZero()
    {
        Fixtures.CopyTo(_dir.Path);

        var result = await ToolProcess.RunAsync("verify", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(0, result.ToString());
        result.Stdout.Should().Contain("5 cards verified, no damage");
    }

    [Fact]
    public async Task Verify_UnknownCard_SaysItHasNoCheckpoint_NotThatItIsDamaged()
    {
        Fixtures.CopyTo(_dir.Path);

        var result = await ToolProcess.RunAsync("verify", "NOPE", "card-fresh", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(1, result.ToString());
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("card 'NOPE' has no checkpoint in").And.NotContain("nothing was changed");
        result.Stdout.Should().Contain("1 card verified, no damage (0 harmless findings)").And.NotContain("damaged").And.NotContain("NOPE");
    }

    [Fact]
    public async Task Verify_DamagedJournalRecord_ReportsFileAndOffset_AndExitsOne()
    {
        await WriteCardWithJournalAsync("damaged");
        var journal = _dir.Combine("damaged.journal");
        var bytes = await File.ReadAllBytesAsync(journal);
        var at = IndexOf(bytes, "MARKER-FIRST");
        bytes[at] ^= 0x20;   // the first record's text changes; its checksum no longer matches, and an intact record follows
        await File.WriteAllBytesAsync(journal, bytes);

        var result = await ToolProcess.RunAsync("verify", "--store", ("file:" + _dir.Path), "--json");
        var text = await ToolProcess.RunAsync("verify", "damaged", "--store", ("file:" + _dir.Path));

        result.ExitCode.Should().Be(1, result.ToString());
        var finding = result.Json().GetProperty("findings").EnumerateArray().Should().ContainSingle().Subject;
        finding.GetProperty("kind").GetString().Should().Be("damaged");
        finding.GetProperty("damage").GetBoolean().Should().BeTrue();
        finding.GetProperty("card_id").GetString().Should().Be("damaged");
        finding.GetProperty("path").GetString().Should().Be(journal);
        finding.GetProperty("offset").GetInt64().Should().BeLessThanOrEqualTo(at).And.BePositive();
        result.Json().GetProperty("damaged").GetBoolean().Should().BeTrue();
        text.ExitCode.Should().Be(1);
        text.Stdout.Should().Contain("damaged").And.Contain(journal).And.Contain("1 damaged");
    }

    [Fact]
    public async Task Verify_TornTail_IsReportedAsHarmless_AndExitsZero()
    {
        await WriteCardWithJournalAsync("torn");
        var journal = _dir.Combine("torn.journal");
        var bytes = (await File.ReadAllBytesAsync(journal)).ToList();
        var end = IndexOf([.. bytes], "MARKER-LAST");
        while (end < bytes.Count && bytes[end] != 0)
        {
            end++;
        }

        var garbage = Enumerable.Repeat((byte)0xAB, 8).ToArray();   // half an append: bytes where the next record would go
        if (end + garbage.Length <= bytes.Count)
        {
            bytes.RemoveRange(end, garbage.Length);
        }

        bytes.InsertRange(end, garbage);
        await File.WriteAllBytesAsync(journal, [.. bytes]);

        var result = await ToolProcess.RunAsync("verify", "--store", ("file:" + _dir.Path), "--json");

        result.ExitCode.Should().Be(0, result.ToString());
        var finding = result.Json().GetProperty("findings").EnumerateArray().Should().ContainSingle().Subject;
        finding.GetProperty("kind").GetString().Should().Be("torn_tail");
        finding.GetProperty("damage").GetBoolean().Should().BeFalse();
        finding.GetProperty("offset").GetInt64().Should().Be(end);
    }

    [Fact]
    public async Task Verify_FileOfAnotherCardAndLeftovers_AreReported()
    {
        Fixtures.CopyTo(_dir.Path);
        File.Copy(_dir.Combine("card-fresh.json"), _dir.Combine("card-copied.json"));
        await File.WriteAllTextAsync(_dir.Combine("card-fresh.json." + new string('a', 32) + ".tmp"), "{");

        var result = await ToolProcess.RunAsync("verify", "--store", ("file:" + _dir.Path), "--json");

        result.ExitCode.Should().Be(1, result.ToString());
        var kinds = result.Json().GetProperty("findings").EnumerateArray()
            .Select(f => (Kind: f.GetProperty("kind").GetString(), Path: Path.GetFileName(f.GetProperty("path").GetString()))).ToList();
        kinds.Should().BeEquivalentTo(new[] { ("foreign_card", "card-copied.json"), ("orphaned_temp_file", "card-fresh.json." + new string('a', 32) + ".tmp") });
    }

    [Fact]
    public async Task Verify_DamagedSqliteRow_ExitsOne()
    {
        var database = _dir.Combine("store.db");
        var repository = new SqliteCheckpointRepository(database);
        await using (var manager = new CheckpointManager("row", repository))
        {
            await manager.ResumeOrCreateAsync(2);
            await manager.SaveStageCheckpointAsync("one", StageStatus.Completed);
        }

        await repository.DisposeAsync();
        SqliteConnection.ClearAllPools();
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            await connection.OpenAsync();
            await using var damage = connection.CreateCommand();
            // Dispose compacted the card, so its document is in chunks (a fold's generation), not in checkpoint_documents.
            damage.CommandText = """
                UPDATE checkpoint_documents SET document = '{"card_id": "row", "status": 12' WHERE card_id = 'row';
                UPDATE checkpoint_document_chunks SET data = zeroblob(length(data)) WHERE card_id = 'row' AND chunk = 0;
                """;
            (await damage.ExecuteNonQueryAsync()).Should().Be(1);
        }

        var result = await ToolProcess.RunAsync("verify", "--store", "sqlite:" + database, "--json");

        result.ExitCode.Should().Be(1, result.ToString());
        var finding = result.Json().GetProperty("findings").EnumerateArray().Should().ContainSingle().Subject;
        finding.GetProperty("card_id").GetString().Should().Be("row");
        finding.GetProperty("kind").GetString().Should().Be("damaged");
    }

    /// <summary>A card whose document is followed by a journal of two records, the first and last marked.</summary>
    private async Task WriteCardWithJournalAsync(string cardId)
    {
        var repository = new FileSystemCheckpointRepository(_dir.Path);
        var first = new PipelineCheckpoint { CheckpointId = "c-" + cardId, CardId = cardId, TotalStages = 2, Version = 1 };
        await repository.SaveAsync(first);
        var second = new AppliedChange(first, new CurrentStageSet(2, DateTimeOffset.UtcNow, "MARKER-FIRST"));
        await repository.SaveChangeAsync(second);
        await repository.SaveChangeAsync(new AppliedChange(second.Checkpoint, new CurrentStageSet(3, DateTimeOffset.UtcNow, "MARKER-LAST")));
        File.Exists(_dir.Combine(cardId + ".journal")).Should().BeTrue("the changes are journaled, not compacted");
    }

    private static int IndexOf(byte[] bytes, string marker)
    {
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker));
        at.Should().BePositive($"the journal holds '{marker}' as text");
        return at;
    }
}
