namespace Checkpointing.Tests.Support;

/// <summary>Child-process scenarios for the pipeline API's crash tests.</summary>
public static class PipelineChildScenarios
{
    /// <summary>
    /// <c>pipeline-three-calls &lt;dir&gt; &lt;crash-after-calls&gt;</c>: one stage making three memoized LLM calls; every paid
    /// call prints <c>paid &lt;n&gt;</c>. With a crash count, the process dies (no cleanup) right after that many paid calls.
    /// </summary>
    public static async Task<int> RunAsync(string scenario, string[] args)
    {
        if (scenario != "pipeline-three-calls" || args.Length != 2)
        {
            await Console.Error.WriteLineAsync($"unknown scenario or arguments: {scenario} {string.Join(' ', args)}");
            return 2;
        }

        var crashAfter = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        await using var manager = new CheckpointManager("CARD-PIPE", new FileSystemCheckpointRepository(args[0]));
        if (await manager.ResumeAsync() is null)
        {
            await manager.CreateCheckpointAsync(1);
        }

        var paid = 0;
        await manager.RunStageAsync("analysis", async (context, token) =>
        {
            var answers = new List<string>();
            for (var i = 1; i <= 3; i++)
            {
                var response = await context.GetOrAddLlmResponseAsync(LlmRequest.ForPrompt($"question {i}", "gpt-4o"), _ =>
                {
                    paid++;
                    return Task.FromResult(new LlmResponse($"question {i}", $"answer {i}"));
                }, token);
                answers.Add(response.Response);
                if (paid > 0 && paid == crashAfter)
                {
                    await Console.Out.WriteLineAsync($"paid {paid}");
                    await Console.Out.FlushAsync(token);
                    Environment.FailFast("simulated crash mid-stage");
                }
            }

            return answers;
        });
        await Console.Out.WriteLineAsync($"paid {paid}");
        await Console.Out.WriteLineAsync("done");
        return 0;
    }
}
