using Microsoft.Extensions.AI;

namespace Checkpointing.Extensions.AI.Tests;

/// <summary>The code of src/Checkpointing.Extensions.AI/README.md, compiled here (ReadmeSnippetTests checks they match).</summary>
public static class PackageReadmeExample
{
    public static async Task<string> RunAsync(IChatClient innerClient)
    {
        IChatClient client = new ChatClientBuilder(innerClient)   // OpenAI, Azure OpenAI, Ollama, ... adapters
            .UseFunctionInvocation()                               // optional: tools; each round trip is cached on its own
            .UseCheckpointing()
            .Build();

        await using var manager = new CheckpointManager("CARD-123");
        await manager.ResumeOrCreateAsync(totalStages: 1);
        var design = await manager.RunStageAsync("architecture", async (stage, ct) =>
            (await client.GetResponseAsync("Propose the components for CARD-123", new ChatOptions { ModelId = "gpt-4o" }, ct)).Text);
        return design;
    }
}
