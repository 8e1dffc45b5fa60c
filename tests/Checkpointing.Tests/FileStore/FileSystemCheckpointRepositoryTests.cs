using System.Text.Json.Nodes;
using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

public sealed class FileSystemCheckpointRepositoryTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task SaveAsync_ThenLoad_ReturnsTheCheckpoint()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();

        await repository.SaveAsync(checkpoint);

        var loaded = await repository.LoadAsync("CARD-1");
        loaded.Should().BeEquivalentTo(checkpoint);
        (await repository.ExistsAsync("CARD-1")).Should().BeTrue();
        (await repository.ListCardIdsAsync()).Should().Equal("CARD-1");
    }

    [Fact]
    public async Task LoadAsync_Missing_ReturnsNull() =>
        (await NewRepository().LoadAsync("nope")).Should().BeNull();

    [Fact]
    public async Task SaveChangeAsync_AppendsToJournalWithoutRewritingSnapshot()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var snapshotBefore = await File.ReadAllBytesAsync(repository.GetSnapshotPath("CARD-1"));

        var change = new StageRecorded(2, At, Stages.Stage("plan"));
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

        (await File.ReadAllBytesAsync(repository.GetSnapshotPath("CARD-1"))).Should().Equal(snapshotBefore);
        new FileInfo(_temp.Combine("CARD-1.journal")).Length.Should().BeGreaterThan(JournalFormat.HeaderSize);
        (await NewRepository().LoadAsync("CARD-1"))!.CompletedStages.Should().Equal("plan");
    }

    [Fact]
    public async Task SaveChangeAsync_KeepsZeroFilledSpaceAfterTheRecords_AndWritesTheNextRecordsIntoIt()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var journalPath = _temp.Combine("CARD-1.journal");

        var lengths = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            var change = new CurrentStageSet(checkpoint.Version + 1, At, $"stage-{i}");
            var applied = new AppliedChange(checkpoint, change);
            checkpoint = applied.Checkpoint;
            await repository.SaveChangeAsync(applied);
            lengths.Add(new FileInfo(journalPath).Length);
        }

        var journal = await File.ReadAllBytesAsync(journalPath);
        var recordsEnd = journal.AsSpan().LastIndexOfAnyExcept((byte)0) + 1;
        lengths.Should().OnlyContain(l => l == lengths[0], "the first record made room for the next ones");
        (journal.Length - recordsEnd).Should().BeGreaterThanOrEqualTo(4096, "zero-filled space follows the records");
        (await NewRepository().LoadAsync("CARD-1"))!.CurrentStage.Should().Be("stage-3");
    }

    [Fact]
    public async Task SaveChangeAsync_ZeroFilledSpace_NeverTakesTheJournalPastMaxFileBytes()
    {
        // Zeros sized for a 1 MiB compaction threshold would make this journal too large to load.
        var options = new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = 1 << 20, MaxFileBytes = 64 * 1024 };
        var repository = NewRepository(options);
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);

        var change = new StageRecorded(2, At, Stages.Stage("plan"));
        var applied = new AppliedChange(checkpoint, change);
        checkpoint = applied.Checkpoint;
        await repository.SaveChangeAsync(applied);

        new FileInfo(_temp.Combine("CARD-1.journal")).Length.Should().BeLessThanOrEqualTo(options.MaxFileBytes);
        (await NewRepository(options).LoadAsync("CARD-1"))!.CompletedStages.Should().Equal("plan");
    }

    [Fact]
    public async Task SaveChangeAsync_StaleVersion_ThrowsConflictAndWritesNothing()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var first = new CurrentStageSet(2, At, "a");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, first));

        var stale = new CurrentStageSet(2, At, "b");
        var act = () => repository.SaveChangeAsync(new AppliedChange(checkpoint, stale));

        await act.Should().ThrowAsync<CheckpointConflictException>().WithMessage("*version 2*");
        (await repository.LoadAsync("CARD-1"))!.CurrentStage.Should().Be("a");
    }

    [Fact]
    public async Task SaveAsync_OverStoredCheckpointWithSameVersion_ThrowsConflict()
    {
        var repository = NewRepository();
        await repository.SaveAsync(Stages.Checkpoint());

        var act = () => repository.SaveAsync(Stages.Checkpoint());

        await act.Should().ThrowAsync<CheckpointConflictException>();
    }

    [Fact]
    public async Task SaveChangeAsync_JournalOutgrowsSnapshot_CompactsIntoSnapshot()
    {
        var repository = NewRepository(new FileSystemCheckpointRepositoryOptions { MinCompactionBytes = 0 });
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        await using (await repository.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
            for (var i = 0; i < 20; i++)
            {
                var change = new LlmResponseCached(checkpoint.Version + 1, At, "plan", Stages.Response($"prompt {i}", new string('r', 200)));
                var applied = new AppliedChange(checkpoint, change);
                checkpoint = applied.Checkpoint;
                await repository.SaveChangeAsync(applied);
            }
        }

        var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(repository.GetSnapshotPath("CARD-1")))!;
        snapshot["version"]!.GetValue<long>().Should().BeGreaterThan(1);
        snapshot["pending_llm_responses"]!["plan"]!.AsArray().Count.Should().BeGreaterThan(0);
        (await NewRepository().LoadAsync("CARD-1"))!.PendingLlmResponses["plan"].Should().HaveCount(20);
    }

    [Fact]
    public async Task CompactAsync_FoldsJournalSoSnapshotAloneIsComplete()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var change = new StageRecorded(2, At, Stages.Stage("plan"));
        var applied = new AppliedChange(checkpoint, change);
        checkpoint = applied.Checkpoint;
        await repository.SaveChangeAsync(applied);

        await repository.CompactAsync("CARD-1");

        new FileInfo(_temp.Combine("CARD-1.journal")).Length.Should().Be(JournalFormat.HeaderSize);
        var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(repository.GetSnapshotPath("CARD-1")))!;
        snapshot["completed_stages"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("plan");
        snapshot["version"]!.GetValue<long>().Should().Be(2);
    }

    [Fact]
    public async Task LoadAsync_JournalOfEarlierGeneration_IsIgnored()
    {
        var repository = NewRepository();
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var change = new CurrentStageSet(2, At, "old");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));
        var oldJournal = await File.ReadAllBytesAsync(_temp.Combine("CARD-1.journal"));
        await repository.CompactAsync("CARD-1");

        // A crash between writing the new snapshot and replacing the journal leaves the old journal behind.
        await File.WriteAllBytesAsync(_temp.Combine("CARD-1.journal"), oldJournal);

        var loaded = await NewRepository().LoadAsync("CARD-1");
        loaded!.Version.Should().Be(2);
        loaded.CurrentStage.Should().Be("old");
    }

    [Fact]
    public async Task SaveAsync_WhileAnotherRepositoryOwnsCard_ThrowsLocked()
    {
        var owner = NewRepository();
        await using var ownership = await owner.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);

        var act = () => NewRepository().SaveAsync(Stages.Checkpoint());

        await act.Should().ThrowAsync<CheckpointLockedException>().WithMessage("*CARD-1*");
    }

    [Fact]
    public async Task AcquireOwnershipAsync_AfterOwnerReleases_Succeeds()
    {
        var first = NewRepository();
        var ownership = await first.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        var waiting = NewRepository().AcquireOwnershipAsync("CARD-1", TimeSpan.FromSeconds(30));

        await ownership.DisposeAsync();

        await using var second = await waiting;
        second.Should().NotBeNull();
    }

    [Fact]
    public async Task DisposeAsync_ReleasesTheCardsItOwns_AndTheHandleDisposedAfterIsANoOp()
    {
        var first = NewRepository();
        var ownership = await first.AcquireOwnershipAsync("CARD-1", TimeSpan.Zero);
        ownership.CardId.Should().Be("CARD-1");

        await first.DisposeAsync();
        await using (await NewRepository().AcquireOwnershipAsync("CARD-1", TimeSpan.Zero))
        {
        }

        await FluentActions.Awaiting(async () => await ownership.DisposeAsync()).Should().NotThrowAsync("disposal never throws");
        ownership.IsReleased.Should().BeTrue();
    }

    [Fact]
    public async Task DeleteAsync_RemovesSnapshotAndJournal()
    {
        var repository = NewRepository();
        await repository.SaveAsync(Stages.Checkpoint());

        (await repository.DeleteAsync("CARD-1")).Should().BeTrue();

        (await repository.ExistsAsync("CARD-1")).Should().BeFalse();
        File.Exists(_temp.Combine("CARD-1.journal")).Should().BeFalse();
        (await repository.ListCardIdsAsync()).Should().BeEmpty();
        (await repository.DeleteAsync("CARD-1")).Should().BeFalse();
    }

    [Fact]
    public async Task ListCardIdsAsync_ReturnsEscapedAndHashedIdsAsGiven()
    {
        var repository = NewRepository();
        string[] ids = ["plain", "../up", "with space", new string('x', 300)];
        foreach (var id in ids)
        {
            await repository.SaveAsync(Stages.Checkpoint(id));
        }

        (await repository.ListCardIdsAsync()).Should().BeEquivalentTo(ids);
    }

    [Fact]
    public async Task FirstChangeOnPythonFile_WritesSnapshotWithJournalId()
    {
        var directory = Fixtures.CopyTo(_temp.Path);
        var repository = new FileSystemCheckpointRepository(directory);
        var checkpoint = (await repository.LoadAsync("card-fresh"))!;

        var change = new CurrentStageSet(1, At, "plan");
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

        var snapshot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "card-fresh.json")))!;
        snapshot["journal_id"]!.GetValue<string>().Should().HaveLength(32);
        snapshot["current_stage"]!.GetValue<string>().Should().Be("plan");
    }

    [Fact]
    public async Task LoadAsync_ResponseTextDecodedOnFirstRead_EqualsTheSavedResponseAndSurvivesCompaction()
    {
        var repository = NewRepository();
        var response = Stages.Response("prompt", "line 1\n\"quoted\" ünïcødé \u0001 end");
        var checkpoint = Stages.Checkpoint();
        await repository.SaveAsync(checkpoint);
        var change = new LlmResponseCached(2, At, "plan", response);
        await repository.SaveChangeAsync(new AppliedChange(checkpoint, change));

        var loaded = (await NewRepository().LoadAsync("CARD-1"))!.PendingLlmResponses["plan"][0];
        await NewRepository().CompactAsync("CARD-1");
        var compacted = (await NewRepository().LoadAsync("CARD-1"))!.PendingLlmResponses["plan"][0];

        loaded.Should().Be(response);
        loaded.GetHashCode().Should().Be(response.GetHashCode());
        compacted.Response.Should().Be(response.Response);
        (loaded with { Model = "other" }).Response.Should().Be(response.Response);
    }

    [Theory]
    [InlineData("plain prompt")]
    [InlineData("line 1\nline 2 \"quoted\" \\ back\tslash café 漢字 🎉 \u0001")]
    public async Task Resume_PromptsLeftUndecodedInTheFile_HitTheCacheLikeFreshOnes(string prompt)
    {
        await using (var first = new CheckpointManager("CARD-1", NewRepository()))
        {
            await first.CreateCheckpointAsync(2);
            await first.CacheLlmResponseAsync("plan", Stages.Response(prompt, "pending answer"));
            await first.SaveStageCheckpointAsync("done", StageStatus.Completed, llmResponses: [Stages.Response(prompt, "recorded answer")]);
        }

        await using var resumed = new CheckpointManager("CARD-1", NewRepository());
        await resumed.ResumeAsync();

        resumed.GetCachedLlmResponse("plan", prompt)!.Response.Should().Be("pending answer");
        resumed.GetCachedLlmResponse("done", prompt, "gpt-4o")!.Prompt.Should().Be(prompt);
    }

    [Fact]
    public async Task LoadAsync_FileOfAnotherCard_IsRefusedAsCorrupted()
    {
        var repository = NewRepository();
        await repository.SaveAsync(Stages.Checkpoint("AAA"));
        File.Copy(repository.GetSnapshotPath("AAA"), repository.GetSnapshotPath("BBB"));

        var act = () => NewRepository().LoadAsync("BBB");

        await act.Should().ThrowAsync<CheckpointCorruptedException>().WithMessage("*BBB.json*'AAA'*'BBB'*");
    }

    [Fact]
    public async Task LoadAsync_InvalidJson_ReportsTheByteOffset()
    {
        await File.WriteAllTextAsync(_temp.Combine("CARD-1.json"), "{\n  \"card_id\": \"CARD-1\",\n  \"status\": ]\n}");

        var act = () => NewRepository().LoadAsync("CARD-1");

        var error = (await act.Should().ThrowAsync<CheckpointCorruptedException>()).Which;
        error.Offset.Should().Be(37, "the stray ']' is on line 3 at byte 12");
    }

    private FileSystemCheckpointRepository NewRepository(FileSystemCheckpointRepositoryOptions? options = null) =>
        new(_temp.Path, options);
}
