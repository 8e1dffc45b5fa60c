namespace Checkpointing.Demo;

/// <summary>Prints what each attempt did and what the checkpoint saved, and checks that no call was paid twice.</summary>
internal static class Summary
{
    public static int Print(IReadOnlyList<AttemptReport> attempts, string directory, string cardId)
    {
        Console.WriteLine();
        Console.WriteLine("== Summary");
        foreach (var attempt in attempts)
        {
            var how = attempt.ExitCode == 0 ? "finished" : $"died in '{attempt.InterruptedStage}'";
            Console.WriteLine($"   attempt {attempt.Number} (exit code {attempt.ExitCode}, {how})");
            if (attempt.StagesSkipped.Count > 0)
            {
                Console.WriteLine($"      stages skipped:  {string.Join(", ", attempt.StagesSkipped)} (completed earlier)");
            }

            var run = attempt.StagesRun.Select(stage => attempt.StagesCompleted.Contains(stage) ? stage : $"{stage} (interrupted)");
            Console.WriteLine($"      stages run:      {(attempt.StagesRun.Count > 0 ? string.Join(", ", run) : "none")}");
            Console.WriteLine($"      LLM calls paid:  {attempt.PaidCalls}");
            var cachedNote = attempt.CachedCalls > 0 ? " (answers an earlier attempt paid for)" : "";
            Console.WriteLine($"      from the cache:  {attempt.CachedCalls}{cachedNote}");
        }

        var prompts = DemoPipeline.Stages.Sum(stage => stage.Prompts.Count);
        var paid = attempts.Sum(attempt => attempt.PaidCalls);
        var cached = attempts.Sum(attempt => attempt.CachedCalls);
        var skippedCalls = attempts.Sum(attempt => DemoPipeline.Stages.Where(s => attempt.StagesSkipped.Contains(s.Name)).Sum(s => s.Prompts.Count));
        Console.WriteLine();
        Console.WriteLine($"   The pipeline sends {prompts} prompts; {paid} LLM calls were paid for in all.");
        if (attempts.Count > 1)
        {
            Console.WriteLine($"   Not paid twice: {cached} answer(s) bought just before the crash came from the write-ahead cache,");
            Console.WriteLine($"   and {skippedCalls} call(s) of completed stages were not made again, since those stages were skipped.");
        }
        Console.WriteLine();
        Console.WriteLine("   Files (kept; delete the directory when done):");
        var snapshot = new FileSystemCheckpointRepository(directory).GetSnapshotPath(cardId);
        foreach (var (path, _) in CheckpointFiles.Describe(snapshot))
        {
            Console.WriteLine($"      {path}");
        }

        var last = attempts[^1];
        if (last.ExitCode == 0 && paid == prompts && last.PaidCalls == 0)
        {
            Console.WriteLine();
            Console.WriteLine($"OK: the pipeline finished after {attempts.Count} attempt(s) and no LLM call was paid for twice.");
            return 0;
        }

        Console.WriteLine();
        Console.WriteLine($"UNEXPECTED: last exit code {last.ExitCode}, {paid} calls paid for {prompts} prompts.");
        return 1;
    }
}
