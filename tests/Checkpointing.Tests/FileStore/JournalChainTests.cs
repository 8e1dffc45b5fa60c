using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// A successor journal continues the journal only when that journal is current; a successor holding only its header
/// (or a first append cut short) leaves the journal the one appended to, and says whether it was left prepared.
/// </summary>
public sealed class JournalChainTests
{
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CardPaths Paths = CardPaths.For(System.IO.Path.GetFullPath("/cards"), "CARD-1");

    [Fact]
    public void Successor_OfAJournalThatIsMissing_ContinuesNothing()
    {
        var journalId = JournalFormat.NewId();
        var (changes, _) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var successor = JournalBytes.Journal(JournalFormat.SuccessorId(journalId), changes);
        var snapshot = new SnapshotDocument(Stages.Checkpoint(), journalId);

        var state = JournalChain.Replay(journal: null, successor, Paths, snapshot);

        state.ActiveIsSuccessor.Should().BeFalse();
        state.Checkpoint.Should().BeSameAs(snapshot.Checkpoint);
        state.Active.IsCurrent.Should().BeFalse();
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(5, false)]
    public void SuccessorWithNoRecord_LeavesTheJournalActive_PreparedOnlyWhenNothingFollowsItsHeader(int tornBytes, bool prepared)
    {
        var journalId = JournalFormat.NewId();
        var (changes, final) = JournalBytes.StageChanges(Stages.Checkpoint(), 3, At);
        var journal = JournalBytes.Journal(journalId, changes);
        byte[] successor = [.. JournalFormat.CreateHeader(JournalFormat.SuccessorId(journalId)), .. Enumerable.Repeat((byte)0x5A, tornBytes)];

        var state = JournalChain.Replay(journal, successor, Paths, new SnapshotDocument(Stages.Checkpoint(), journalId));

        state.Should().BeEquivalentTo(new { ActiveIsSuccessor = false, Unfolded = (PipelineCheckpoint?)null, PreparedSuccessor = prepared });
        state.Checkpoint.Should().BeEquivalentTo(final);
    }
}
