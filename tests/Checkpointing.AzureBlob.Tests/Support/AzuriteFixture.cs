using Xunit;

namespace Checkpointing.AzureBlob.Tests.Support;

/// <summary>One Azurite server per test class (classes run in parallel, each against its own server).</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    /// <summary>Gets the server.</summary>
    public AzuriteServer Server => _server ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <inheritdoc/>
    public async Task InitializeAsync() => _server = await AzuriteServer.StartAsync();

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
