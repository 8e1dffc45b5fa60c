namespace Checkpointing.Demo;

/// <summary>What the parent learned about one worker process from its event lines and exit code.</summary>
internal sealed class AttemptReport(int number)
{
    public int Number { get; } = number;

    public List<string> StagesRun { get; } = [];

    public List<string> StagesSkipped { get; } = [];

    public List<string> StagesCompleted { get; } = [];

    public int PaidCalls { get; private set; }

    public int CachedCalls { get; private set; }

    public int ExitCode { get; set; }

    /// <summary>Gets the stage that was running when the process died, if it died mid-stage.</summary>
    public string? InterruptedStage => StagesRun.LastOrDefault(stage => !StagesCompleted.Contains(stage));

    /// <summary>Records an event line; <see langword="false"/> for a line meant for people.</summary>
    public bool TryRecord(string line)
    {
        if (!line.StartsWith(WorkerEvents.Prefix, StringComparison.Ordinal) || line[WorkerEvents.Prefix.Length..].Split(' ', 2) is not [var name, var stage])
        {
            return false;
        }

        switch (name)
        {
            case WorkerEvents.Started: StagesRun.Add(stage); break;
            case WorkerEvents.Skipped: StagesSkipped.Add(stage); break;
            case WorkerEvents.Completed: StagesCompleted.Add(stage); break;
            case WorkerEvents.Paid: PaidCalls++; break;
            case WorkerEvents.Cached: CachedCalls++; break;
            default: return false;
        }

        return true;
    }
}
