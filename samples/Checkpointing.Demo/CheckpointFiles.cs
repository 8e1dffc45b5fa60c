using System.Globalization;

namespace Checkpointing.Demo;

/// <summary>Shows a card's files and what a reader (no lock needed) finds in them.</summary>
internal static class CheckpointFiles
{
    public static async Task<PipelineCheckpoint?> ShowAsync(string directory, string cardId)
    {
        var repository = new FileSystemCheckpointRepository(directory);
        var snapshot = repository.GetSnapshotPath(cardId);
        var files = Describe(snapshot).ToList();
        var width = files.Max(file => Path.GetFileName(file.Path).Length);
        foreach (var (path, role) in files)
        {
            var size = File.Exists(path) ? string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(path).Length,7:N0} bytes") : "  (missing)  ";
            Console.WriteLine($"   {Path.GetFileName(path).PadRight(width)} {size}  {role}");
        }

        var checkpoint = await repository.LoadAsync(cardId);
        if (checkpoint is null)
        {
            Console.WriteLine("   no checkpoint stored");
            return null;
        }

        var pending = checkpoint.PendingLlmResponses.Count == 0
            ? "none"
            : string.Join(", ", checkpoint.PendingLlmResponses.Select(p => $"{p.Value.Count} of '{p.Key}'"));
        Console.WriteLine($"   read back: version {checkpoint.Version}, status {checkpoint.Status.ToString().ToLowerInvariant()}, "
            + $"resumed {checkpoint.ResumeCount} time(s), completed [{string.Join(", ", checkpoint.CompletedStages)}]");
        Console.WriteLine($"              answers written ahead of their stage's record: {pending}");
        return checkpoint;
    }

    public static IEnumerable<(string Path, string Role)> Describe(string snapshot)
    {
        yield return (snapshot, "snapshot: the whole checkpoint as JSON (the Python manager's layout)");
        yield return (Path.ChangeExtension(snapshot, ".journal"), "journal: checksummed changes since the snapshot, fdatasync'd each");
        yield return (Path.ChangeExtension(snapshot, ".lock"), "lock file: flock'd by the owning process while it lives; no data");
    }
}
