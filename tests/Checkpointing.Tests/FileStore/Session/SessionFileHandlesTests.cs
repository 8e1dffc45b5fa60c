using Checkpointing.FileStore;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Session;

/// <summary>
/// The files a session keeps open: its lock and the journal taking the appends (and a prepared successor), nothing that
/// was replaced or deleted. A handle left on a replaced journal or a zero-filled successor keeps its disk space in use
/// (and, on Windows, the file itself). Read from <c>/proc/self/fd</c>, so Linux only.
/// </summary>
public sealed class SessionFileHandlesTests : IAsyncDisposable
{
    private const long Threshold = 1000;
    private readonly TempDirectory _temp = new();
    private readonly HeldBackground _background = new();
    private readonly SessionHarness _card;

    public SessionFileHandlesTests()
    {
        _card = SessionHarness.Open(
            _temp.Path, new FileSystemCheckpointRepositoryOptions { CompactionBytesOverride = Threshold }, new RecordingLoggerFactory().CreateLogger("test"), _background.Start);
    }

    private CardPaths Paths => _card.Paths;

    public async ValueTask DisposeAsync()
    {
        await _background.RunAsync();
        await _card.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Delete_ClosesTheJournalAndThePreparedSuccessor()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // reads /proc/self/fd
        }

        await PrepareSuccessorAsync();
        OpenFiles().Should().BeEquivalentTo([Paths.Lock, Paths.Journal, Paths.Successor]);

        await _card.Session.DeleteAsync();

        OpenFiles().Should().Equal([Paths.Lock]);
    }

    [Fact]
    public async Task WholeSave_ClosesTheReplacedJournalAndThePreparedSuccessor()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // reads /proc/self/fd
        }

        await PrepareSuccessorAsync();

        await _card.SaveWholeAsync(_card.Checkpoint with { Version = _card.Checkpoint.Version + 1 });

        OpenFiles().Should().BeEquivalentTo([Paths.Lock, Paths.Journal]);
    }

    [Fact]
    public async Task Compaction_ClosesTheFoldedJournal()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // reads /proc/self/fd
        }

        await _card.SaveWholeAsync();
        await _card.AppendAsync();

        await _card.CompactAsync();

        OpenFiles().Should().BeEquivalentTo([Paths.Lock, Paths.Journal], "the successor was renamed over the journal; the old journal's handle is closed");
    }

    private async Task PrepareSuccessorAsync()
    {
        await _card.SaveWholeAsync();
        await _card.AppendPastAsync(Threshold);
        await _background.RunAsync();
    }

    /// <summary>The files in the test's directory this process has open ("(deleted)" marks one no longer there).</summary>
    private List<string> OpenFiles() =>
        [.. Directory.GetFiles("/proc/self/fd")
            .Select(fd => SafeLinkTarget(fd))
            .OfType<string>()
            .Where(target => target.StartsWith(_temp.Path + "/", StringComparison.Ordinal))];

    private static string? SafeLinkTarget(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed since listed
        }
    }
}
