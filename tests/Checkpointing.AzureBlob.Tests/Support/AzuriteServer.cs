using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;

namespace Checkpointing.AzureBlob.Tests.Support;

/// <summary>
/// A real Azurite blob server for the tests: <c>azurite-blob</c> from <see cref="BinVariable"/>, else from
/// <c>.tools/azurite</c> at the repository root, installed there from npm (<c>azurite@3.37.0</c>) when missing. It listens
/// on a free port of 127.0.0.1 and keeps its data in a temp folder (so it can be restarted without losing it); disposing
/// it kills the server and deletes the folder. When no server can be started the tests FAIL with the reason.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    /// <summary>The environment variable that names an <c>azurite-blob</c> executable to use instead.</summary>
    public const string BinVariable = "CHECKPOINTING_AZURITE_BIN";

    /// <summary>The Azurite version installed when none is found.</summary>
    public const string Version = "3.37.0";

    /// <summary>Azurite's well-known development account key (public, documented by Microsoft).</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task<string>> Executable = new(LocateOrInstallAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _executable;
    private readonly string _folder;
    private Process? _process;
    private TaskCompletionSource? _closed;

    private AzuriteServer(string executable, int port)
    {
        _executable = executable;
        Port = port;
        _folder = Directory.CreateTempSubdirectory("checkpointing-azurite-").FullName;
    }

    /// <summary>Gets the port the server listens on.</summary>
    public int Port { get; }

    /// <summary>Gets the connection string of the server's development account.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;";

    /// <summary>Starts a server on a free port.</summary>
    public static async Task<AzuriteServer> StartAsync()
    {
        var server = new AzuriteServer(await Executable.Value, FreePort());
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Client options for tests: quick retries, so a test of an unreachable server does not wait long.</summary>
    public static BlobClientOptions ClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(20);
        return options;
    }

    /// <summary>Creates a new, empty container.</summary>
    public async Task<BlobContainerClient> NewContainerAsync(string prefix = "cards")
    {
        var container = new BlobContainerClient(ConnectionString, $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 1 + 24, 63)], ClientOptions());
        await container.CreateAsync();
        return container;
    }

    /// <summary>Kills the server (SIGKILL) and waits for it to be gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Stops the server the way a service restart does (SIGTERM; Azurite then saves its metadata and closes), and starts
    /// it again on the same port over the same data. Azurite keeps its metadata in memory and saves it now and then, so
    /// a SIGKILL would lose writes it acknowledged: that is the emulator's limit, not the store's, and not tested here.
    /// </summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    /// <summary>Stops the server the way a service stop does (SIGTERM; Azurite saves its metadata and closes).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process && _closed is { } closed)
        {
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Kill(); // the node process does not always exit by itself once the service closed
    }

    /// <summary>Starts the stopped server again on the same port over the same data.</summary>
    public Task StartAgainAsync() => StartProcessAsync();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _folder, "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {_executable}");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _closed = closed;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("successfully closed", StringComparison.Ordinal) == true)
            {
                closed.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite ({_executable}) exited with code {process.ExitCode} at start.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> LocateOrInstallAsync()
    {
        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{BinVariable} names {configured}, which does not exist.");
        }

        var prefix = Path.Combine(RepositoryRoot(), ".tools", "azurite");
        var executable = Path.Combine(prefix, "node_modules", ".bin", "azurite-blob");
        if (File.Exists(executable))
        {
            return executable;
        }

        var info = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "install", "--prefix", prefix, "--no-audit", "--no-fund", $"azurite@{Version}" })
        {
            info.ArgumentList.Add(arg);
        }

        Process npm;
        try
        {
            npm = Process.Start(info) ?? throw new InvalidOperationException("could not start npm");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {executable} and npm is not available to install it (install Node.js and npm, "
                + $"e.g. `apt-get install nodejs npm`, or set {BinVariable}).", ex);
        }

        using (npm)
        {
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0 || !File.Exists(executable))
            {
                throw new InvalidOperationException($"`npm install --prefix {prefix} azurite@{Version}` failed (exit {npm.ExitCode}): {await stdout}{await stderr}");
            }
        }

        return executable;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Checkpointing.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Checkpointing.sln above {AppContext.BaseDirectory}: set {BinVariable} to an azurite-blob executable.");
    }
}
