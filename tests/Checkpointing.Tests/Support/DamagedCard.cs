using Checkpointing.FileStore;
using FluentAssertions;

namespace Checkpointing.Tests.Support;

/// <summary>
/// Writes small cards the way the file store does (a snapshot and journal records) and checks what every damaged card
/// must get: a typed error from every reader, <c>false</c> from <see cref="CheckpointManager.CanResumeAsync"/>, no file
/// changed, and no lock left behind.
/// </summary>
public static class DamagedCard
{
    public const string CardId = "CARD";

    public static readonly DateTimeOffset At = new(2026, 4, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Writes a snapshot at version 1 and one journal record per stage; returns the journal and each record's offset.</summary>
    public static async Task<(string SnapshotPath, string JournalPath, long[] Records)> WriteAsync(string directory, params StageCheckpoint[] stages)
    {
        var repository = new FileSystemCheckpointRepository(directory);
        var records = new List<long>();
        var journalPath = Path.ChangeExtension(repository.GetSnapshotPath(CardId), ".journal");
        await using (await repository.AcquireOwnershipAsync(CardId, TimeSpan.Zero))
        {
            var checkpoint = new PipelineCheckpoint
            {
                CheckpointId = $"checkpoint-{CardId}-1", CardId = CardId, CreatedAt = At, UpdatedAt = At, TotalStages = stages.Length, Version = 1,
            };
            await repository.SaveAsync(checkpoint);
            foreach (var stage in stages)
            {
                records.Add(RecordsEnd(await File.ReadAllBytesAsync(journalPath)));
                var change = new StageRecorded(checkpoint.Version + 1, At.AddMinutes(records.Count), stage);
                var applied = new AppliedChange(checkpoint, change);
                checkpoint = applied.Checkpoint;
                await repository.SaveChangeAsync(applied);
            }
        }

        return (repository.GetSnapshotPath(CardId), journalPath, [.. records]);
    }

    /// <summary>A completed stage with one LLM response.</summary>
    public static StageCheckpoint Stage(string name, string prompt = "a prompt", string answer = "an answer long enough to damage") => new()
    {
        StageName = name,
        Status = StageStatus.Completed,
        StartTime = At,
        EndTime = At,
        LlmResponses = [new LlmResponse(prompt, answer)],
    };

    /// <summary>The offset just past the last record (the zero-filled space starts there).</summary>
    public static long RecordsEnd(byte[] journal)
    {
        var offset = JournalFormat.HeaderSize;
        while (offset + JournalFormat.RecordHeaderSize <= journal.Length && BitConverter.ToUInt32(journal, offset) is var length && length != 0)
        {
            offset += JournalFormat.RecordHeaderSize + (int)length;
        }

        return offset;
    }

    /// <summary>
    /// Asserts the card is refused everywhere with a typed error, and that nothing changed and no lock was left.
    /// </summary>
    /// <returns>The error <see cref="FileSystemCheckpointRepository.LoadAsync"/> raised.</returns>
    public static async Task<CheckpointException> AssertRefusedAsync(string directory, string cardId = CardId)
    {
        var before = Files(directory);
        var repository = new FileSystemCheckpointRepository(directory);
        var error = (await repository.Invoking(r => r.LoadAsync(cardId)).Should().ThrowAsync<CheckpointException>()).Which;
        error.Should().Match<CheckpointException>(e => e is CheckpointCorruptedException || e is CheckpointVersionException, error.ToString());

        var manager = new CheckpointManager(cardId, repository);
        await using (manager)
        {
            (await manager.CanResumeAsync()).Should().BeFalse("an unreadable checkpoint cannot be resumed");
            (await manager.Invoking(m => m.ResumeAsync()).Should().ThrowAsync<CheckpointException>()).Which.Should().BeOfType(error.GetType());
            (await manager.Invoking(m => m.ResumeOrCreateAsync(3)).Should().ThrowAsync<CheckpointException>()).Which.Should().BeOfType(error.GetType());
        }

        AssertSameFiles(directory, before, "a failed load or resume changes no file");
        await using (await new FileSystemCheckpointRepository(directory).AcquireOwnershipAsync(cardId, TimeSpan.Zero))
        {
            // The lock was released: a new owner gets the card at once.
        }

        AssertSameFiles(directory, before, "taking and releasing ownership changes no file");
        return error;
    }

    /// <summary>Asserts the directory holds exactly <paramref name="expected"/> (lock files aside), byte for byte.</summary>
    public static void AssertSameFiles(string directory, Dictionary<string, byte[]> expected, string because)
    {
        var actual = Files(directory);
        actual.Keys.Should().BeEquivalentTo(expected.Keys, because);
        foreach (var (name, bytes) in expected)
        {
            actual[name].AsSpan().SequenceEqual(bytes).Should().BeTrue($"{name} is unchanged: {because}");
        }
    }

    /// <summary>Every file of the directory but lock files, by name, with its bytes.</summary>
    public static Dictionary<string, byte[]> Files(string directory) =>
        Directory.GetFiles(directory).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetFileName(f)!, File.ReadAllBytes, StringComparer.Ordinal);
}
