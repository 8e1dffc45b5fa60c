using Checkpointing.FileStore;
using Checkpointing.Json;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore;

/// <summary>
/// Which journal continues a snapshot, and how its records are read: only the generation the snapshot names, never one
/// beside a snapshot that names none (a file of the Python manager); records applied and their errors raised in file order.
/// </summary>
public sealed class JournalGenerationTests
{
    private const string Path = "/cards/CARD-1.journal";
    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SnapshotNamingNoJournal_IsContinuedByNone_EvenByAJournalWhoseRecordsWouldFollowIt()
    {
        var snapshot = Stages.Checkpoint() with { UpdatedAt = At };
        var (changes, _) = JournalBytes.StageChanges(snapshot, 3, At);
        var journal = JournalBytes.Journal(JournalFormat.NewId(), changes);

        var state = JournalReplay.Replay(journal, Path, new SnapshotDocument(snapshot, JournalId: null));

        state.Should().Be(new JournalState(snapshot, ValidLength: 0, FileLength: journal.Length, IsCurrent: false, Records: 0, HasTornTail: false));
    }

    [Fact]
    public void SnapshotNamingNoJournal_BesideAJournalHeaderCutShort_IsNotContinued()
    {
        var journal = JournalFormat.CreateHeader(JournalFormat.NewId())[..^1];

        var state = JournalReplay.Replay(journal, Path, new SnapshotDocument(Stages.Checkpoint(), JournalId: null));

        state.Should().Be(new JournalState(Stages.Checkpoint(), ValidLength: 0, FileLength: journal.Length, IsCurrent: false, Records: 0, HasTornTail: false));
    }

    [Fact]
    public void LlmTextsOfReplayedRecords_StayUndecodedUntilRead()
    {
        var journalId = JournalFormat.NewId();
        var journal = JournalBytes.Journal(journalId, [new LlmResponseCached(2, At, "plan", Stages.Response("the prompt", "the answer"))]);

        var state = JournalReplay.Replay(journal, Path, new SnapshotDocument(Stages.Checkpoint(), journalId));

        var response = state.Checkpoint.PendingLlmResponses["plan"].Should().ContainSingle().Subject;
        response.TryGetStoredPrompt(out _).Should().BeTrue("a resume does not decode texts it never reads");
        response.TryGetStoredText(out _).Should().BeTrue();
        response.Response.Should().Be("the answer");
        response.TryGetStoredText(out _).Should().BeFalse("read once, it is decoded");
    }

    [Fact]
    public void ChangeThatDoesNotFollow_IsReportedBeforeAnUnreadableRecordAfterIt()
    {
        var journalId = JournalFormat.NewId();
        CheckpointChange[] changes =
        [
            new StageRecorded(2, At, Stages.Stage("a")),
            new StageRecorded(9, At, Stages.Stage("skips versions")),
            new StageRecorded(4, At, Stages.Stage("c")),
        ];
        var (offsets, _) = JournalBytes.Layout(changes);
        var journal = JournalBytes.Journal(journalId, changes);
        journal[(int)offsets[2] + JournalFormat.RecordHeaderSize] = (byte)'[';
        JournalBytes.Reseal(journal, (int)offsets[2]);

        var act = () => JournalReplay.Replay(journal, Path, new SnapshotDocument(Stages.Checkpoint(), journalId));

        act.Should().Throw<CheckpointCorruptedException>().Which.Offset.Should().Be(offsets[1]);
    }
}
