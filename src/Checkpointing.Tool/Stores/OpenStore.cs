using Checkpointing.PostgreSql;
using Checkpointing.Sqlite;
using Checkpointing.Tool.Cli;

namespace Checkpointing.Tool.Stores;

/// <summary>A store the tool opened; disposing it closes connections.</summary>
internal sealed class OpenStore : IAsyncDisposable
{
    private OpenStore(StoreSpec spec, ICheckpointRepository repository)
    {
        Spec = spec;
        Repository = repository;
    }

    public StoreSpec Spec { get; }

    public ICheckpointRepository Repository { get; }

    /// <summary>Opens a store. A file or SQLite store that does not exist is not created by a read: it is reported.</summary>
    /// <param name="spec">The store.</param>
    /// <param name="mayCreate">Whether the command writes (copy into a new store), so an absent store is created.</param>
    public static OpenStore Open(StoreSpec spec, bool mayCreate = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Kind)
        {
            case StoreKind.File:
                if (!mayCreate && !Directory.Exists(spec.Location))
                {
                    throw new UsageException($"the checkpoint directory '{spec.Location}' does not exist; pass --store file:<directory> (or set $CHECKPOINT_DIR) to where the pipeline writes.");
                }

                return new OpenStore(spec, new FileSystemCheckpointRepository(spec.Location));
            case StoreKind.Sqlite:
                if (!mayCreate && !File.Exists(spec.Location))
                {
                    throw new UsageException($"the SQLite database '{spec.Location}' does not exist; pass --store sqlite:<path> to the pipeline's database.");
                }

                return new OpenStore(spec, new SqliteCheckpointRepository(spec.Location));
            default:
                var options = new PostgreSqlCheckpointRepositoryOptions { WorkerId = $"checkpointing-tool:{Environment.MachineName}:{Environment.ProcessId}" };
                if (spec.Schema is { } schema)
                {
                    options.Schema = schema;
                }

                return new OpenStore(spec, new PostgreSqlCheckpointRepository(spec.Location, options));
        }
    }

    /// <summary>Gets the stored size of a card: its files for a file store, its serialized document otherwise.</summary>
    public long SizeOf(PipelineCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (Repository is FileSystemCheckpointRepository files)
        {
            var snapshot = new FileInfo(files.GetSnapshotPath(checkpoint.CardId));
            var journal = new FileInfo(Path.ChangeExtension(snapshot.FullName, ".journal"));
            return (snapshot.Exists ? snapshot.Length : 0) + (journal.Exists ? journal.Length : 0);
        }

        return CheckpointJson.SerializeCheckpoint(checkpoint).LongLength;
    }

    public async ValueTask DisposeAsync()
    {
        switch (Repository)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
