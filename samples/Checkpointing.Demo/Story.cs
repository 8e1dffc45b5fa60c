namespace Checkpointing.Demo;

/// <summary>The whole demo: a worker dies mid-stage, the files survive, a second worker resumes and finishes.</summary>
internal static class Story
{
    public static async Task<int> RunAsync(DemoOptions options)
    {
        var directory = options.Directory ?? Directory.CreateTempSubdirectory("checkpointing-demo-").FullName;
        var card = options.CardId;
        var stageNames = string.Join(" -> ", DemoPipeline.Stages.Select(stage => stage.Name));
        Console.WriteLine($"Checkpointing demo: card {card}, pipeline {stageNames}");
        Console.WriteLine($"Checkpoint directory: {directory}");
        Console.WriteLine("A fake LLM answers each prompt in 120-300 ms and counts the calls it would bill.");

        string[] common = ["--worker", "--events", "--dir", directory, "--card", card];
        var crash = options.CrashInStage is { } stage
            ? $"it will be killed in '{stage}' right after paid call {options.CrashAfterCalls} of that stage"
            : "no crash planned";
        Heading($"Attempt 1: a worker process runs the pipeline ({crash})");
        string[] crashArguments = options.CrashInStage is { } crashStage
            ? ["--crash-in", crashStage, "--crash-after-calls", options.CrashAfterCalls.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : [];
        var first = await WorkerProcess.RunAsync(1, [.. common, .. crashArguments]);

        Heading("On disk after attempt 1");
        await CheckpointFiles.ShowAsync(directory, card);

        var attempts = new List<AttemptReport> { first };
        if (first.ExitCode != 0)
        {
            Heading("Attempt 2: a new worker process resumes the card");
            attempts.Add(await WorkerProcess.RunAsync(2, common));
            Heading("On disk at the end");
            await CheckpointFiles.ShowAsync(directory, card);
        }

        if (attempts[^1].ExitCode == 0)
        {
            Heading($"Attempt {attempts.Count + 1}: the finished card is run again (a redeploy, a second worker): nothing may be paid");
            attempts.Add(await WorkerProcess.RunAsync(attempts.Count + 1, common));
        }

        return Summary.Print(attempts, directory, card);
    }

    private static void Heading(string text)
    {
        Console.WriteLine();
        Console.WriteLine($"== {text}");
    }
}
