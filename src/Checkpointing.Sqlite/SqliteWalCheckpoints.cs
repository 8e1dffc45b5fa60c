using Microsoft.Extensions.Logging;

namespace Checkpointing.Sqlite;

/// <summary>
/// Runs SQLite's WAL checkpoints (copying committed pages from the <c>-wal</c> file into the database file and syncing
/// it) off the writers' path. By default SQLite runs one inside the commit that takes the log past 1000 pages: a save
/// that happens to cross that line copies megabytes and fsyncs the database before it returns. The store turns that off
/// (<c>PRAGMA wal_autocheckpoint = 0</c>) and, once writes of <see cref="SqliteCheckpointRepositoryOptions.WalCheckpointBytes"/>
/// have committed, runs a <c>PASSIVE</c> checkpoint on a connection of its own in the background, one at a time: it
/// never blocks a writer or a reader, and a save never waits for it. Durability does not depend on it (a commit is durable
/// in the log); a checkpoint that fails is logged and tried again after the next writes. Closing the last connection, on
/// dispose, checkpoints what is left.
/// </summary>
internal sealed class SqliteWalCheckpoints(SqliteDatabase database, long thresholdBytes, Action<string, string>? activity, ILogger logger)
{
    /// <summary>How many thresholds' worth a background writer may get ahead of the checkpoints before it waits.</summary>
    private const int BackgroundWriterLead = 4;

    private readonly object _gate = new();
    private long _written;
    private Task _running = Task.CompletedTask;
    private bool _closed;

    /// <summary>Starts background work (<see cref="Task.Run(Func{Task})"/>); tests hold it back.</summary>
    internal Func<Func<Task>, Task> StartBackground { get; set; } = static work => Task.Run(work);

    /// <summary>Counts the bytes a committed write put in the log, and starts a checkpoint when enough have.</summary>
    /// <param name="bytes">About what the write stored (a change row, a document, a chunk).</param>
    public void Committed(long bytes)
    {
        lock (_gate)
        {
            _written += bytes;
            if (_closed || _written < thresholdBytes || !_running.IsCompleted)
            {
                return;
            }

            _written = 0;
            _running = StartBackground(RunAsync);
        }
    }

    /// <summary>
    /// For background writers (a fold's chunks): counts the bytes like <see cref="Committed"/>, but once the writes since
    /// the running checkpoint reach a few thresholds, waits for it before returning. A fold writes tens of MB far faster than a checkpoint
    /// copies and syncs them; without this back-pressure the log grows to the whole fold and one checkpoint then syncs
    /// it all at once, which the saves' commits wait behind.
    /// </summary>
    /// <param name="bytes">About what the write stored.</param>
    public Task CommittedInBackgroundAsync(long bytes)
    {
        lock (_gate)
        {
            _written += bytes;
            if (_closed || _written < thresholdBytes)
            {
                return Task.CompletedTask;
            }

            if (_running.IsCompleted)
            {
                _written = 0;
                _running = StartBackground(RunAsync);
                return Task.CompletedTask;
            }

            // Behind by more than a few checkpoints' worth: wait for the running one before writing more.
            return _written >= BackgroundWriterLead * thresholdBytes ? _running : Task.CompletedTask;
        }
    }

    /// <summary>Starts no more checkpoints and waits for the running one.</summary>
    public Task CloseAsync()
    {
        lock (_gate)
        {
            _closed = true;
            return _running;
        }
    }

    private async Task RunAsync()
    {
        activity?.Invoke("wal checkpoint", "running");
        try
        {
            var (busy, logFrames, checkpointed) = await database.ExecuteAsync(
                async connection =>
                {
                    using var command = SqliteDatabase.Command(connection, null, "PRAGMA wal_checkpoint(PASSIVE)");
                    var reader = await command.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                    }
                },
                CancellationToken.None).ConfigureAwait(false);
            SqliteLog.WalCheckpointed(logger, database.Path, checkpointed, logFrames, busy != 0);
        }
        catch (CheckpointException ex)
        {
            SqliteLog.WalCheckpointFailed(logger, database.Path, ex);
        }
        finally
        {
            activity?.Invoke("wal checkpoint", "idle");
        }
    }
}
