using System.Text.Json;
using Checkpointing.Tests.Support;
using Microsoft.Extensions.AI;

namespace Checkpointing.Extensions.AI.Tests.Support;

/// <summary>A file store in a scratch directory, a counting fake model and the middleware around it.</summary>
public abstract class ChatTestBase : IDisposable
{
    protected const string CardId = "CARD-AI";

    private readonly TempDirectory _temp = new();

    protected ChatTestBase()
    {
        Model = new CountingChatClient();
        Client = new ChatClientBuilder(Model).UseCheckpointing().Build();
    }

    protected CountingChatClient Model { get; }

    protected IChatClient Client { get; }

    protected string Directory => _temp.Path;

    public void Dispose()
    {
        Client.Dispose();
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs <paramref name="work"/> as stage <paramref name="stage"/> of a freshly opened manager (a new run or a resumed one).</summary>
    protected async Task<T> RunInStageAsync<T>(string stage, Func<CancellationToken, Task<T>> work)
    {
        await using var manager = await OpenAsync();
        return await manager.RunStageAsync(stage, (_, token) => work(token));
    }

    /// <summary>Opens the card with a new manager, as a new process would.</summary>
    protected async Task<CheckpointManager> OpenAsync()
    {
        var manager = new CheckpointManager(CardId, new FileSystemCheckpointRepository(Directory));
        await manager.ResumeOrCreateAsync(totalStages: 3);
        return manager;
    }

    /// <summary>Loads the card as stored.</summary>
    protected async Task<PipelineCheckpoint> LoadAsync() =>
        (await new FileSystemCheckpointRepository(Directory).LoadAsync(CardId))!;

    /// <summary>A response as JSON, to compare responses by value.</summary>
    protected static string Json(ChatResponse response) =>
        JsonSerializer.Serialize(response, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ChatResponse)));
}
