using Checkpointing.FileStore;
using Microsoft.Extensions.Logging;

namespace Checkpointing.Tests.Support;

/// <summary>
/// A card session opened directly (its lock taken), with the checkpoint it last saved, so that a test drives the writer
/// step by step: whole saves, appends of a chosen size, compactions, with its background work run the test's way.
/// </summary>
public sealed class SessionHarness : IAsyncDisposable
{
    /// <summary>The card every harness writes.</summary>
    public const string CardId = "CARD-1";

    private static readonly DateTimeOffset At = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private bool _disposed;

    private SessionHarness(CardSession session) => Session = session;

    internal CardSession Session { get; }

    internal CardPaths Paths => Session.Paths;

    /// <summary>Gets the checkpoint last saved.</summary>
    public PipelineCheckpoint Checkpoint { get; private set; } = Stages.Checkpoint(CardId);

    /// <summary>Opens the card in <paramref name="directory"/>; <paramref name="startBackground"/> replaces <see cref="Task.Run(Func{Task})"/>.</summary>
    public static SessionHarness Open(
        string directory, FileSystemCheckpointRepositoryOptions options, ILogger logger, Func<Func<Task>, Task>? startBackground = null)
    {
        var paths = CardPaths.For(directory, CardId);
        var lockFile = CardLock.TryAcquire(paths.Lock) ?? throw new InvalidOperationException("The card is locked.");
        var session = new CardSession(CardId, paths, lockFile, options, logger) { StartBackground = startBackground ?? (work => Task.Run(work)) };
        return new SessionHarness(session);
    }

    /// <summary>Loads the card and takes what is stored as the checkpoint to continue.</summary>
    public async Task<PipelineCheckpoint?> LoadAsync()
    {
        var loaded = await Session.LoadAsync(CancellationToken.None);
        Checkpoint = loaded ?? Checkpoint;
        return loaded;
    }

    /// <summary>Saves <paramref name="checkpoint"/> (by default the first version) whole.</summary>
    public async Task SaveWholeAsync(PipelineCheckpoint? checkpoint = null)
    {
        var whole = checkpoint ?? Checkpoint;
        await Session.SaveAsync(whole, CancellationToken.None);
        Checkpoint = whole;
    }

    /// <summary>The next change: a stage whose output holds <paramref name="outputChars"/> characters.</summary>
    public CheckpointChange NextChange(int outputChars = 10)
    {
        var version = Checkpoint.Version + 1;
        var stage = Stages.Stage($"stage-{version}") with { ErrorMessage = new string('o', outputChars) };
        return new StageRecorded(version, At.AddSeconds(version), stage);
    }

    /// <summary>Appends the next change; returns its record's size in the journal.</summary>
    public async Task<long> AppendAsync(int outputChars = 10, CancellationToken cancellationToken = default)
    {
        var change = NextChange(outputChars);
        var next = change.ApplyTo(Checkpoint);
        await Session.SaveChangeAsync(next, change, cancellationToken);
        Checkpoint = next;
        return JournalBytes.Record(change).Length;
    }

    /// <summary>Appends changes of about 300 bytes until their records hold more than <paramref name="bytes"/>.</summary>
    public async Task AppendPastAsync(long bytes)
    {
        long appended = 0;
        while (appended <= bytes)
        {
            appended += await AppendAsync(outputChars: 300);
        }
    }

    /// <summary>
    /// Saves the first version, appends past <paramref name="threshold"/>, lets <paramref name="background"/> prepare the
    /// successor, and appends once more, which switches to it: the fold that starts is held back.
    /// </summary>
    /// <returns>The state the fold writes.</returns>
    public async Task<PipelineCheckpoint> StartHeldFoldAsync(long threshold, HeldBackground background)
    {
        await SaveWholeAsync();
        await AppendPastAsync(threshold);
        await background.RunAsync();
        if (!File.Exists(Paths.Successor))
        {
            throw new InvalidOperationException("No successor was prepared.");
        }

        await AppendAsync();
        if (background.Started != 2)
        {
            throw new InvalidOperationException($"{background.Started} pieces of background work started, not 2.");
        }

        return Checkpoint;
    }

    /// <summary>Folds the journal into a new snapshot now.</summary>
    public Task CompactAsync() => Session.CompactAsync(CancellationToken.None);

    /// <summary>Closes the session (once).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await Session.DisposeAsync();
        }
    }
}
