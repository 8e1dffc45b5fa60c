using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>
/// The PostgreSQL server the tests run against, started once per test run: the server named by
/// <see cref="ConnectionVariable"/> when it is set, else a throwaway PostgreSQL 15 cluster made with the machine's own
/// binaries (<see cref="BinVariable"/>, by default <c>/usr/lib/postgresql/15/bin</c>): <c>initdb</c> into a temp folder
/// as a non-root user (<c>postgres</c>, created if missing, when the tests run as root), listening on a unix socket in that
/// folder and a free port on 127.0.0.1, stopped and deleted when the test process exits.
/// </summary>
/// <remarks>
/// Each run gets its own database, dropped at the end. When neither way works the tests FAIL with the reason: they are
/// never skipped. An existing server must accept a role that may create databases and roles (a superuser, say).
/// </remarks>
public sealed class PostgresServer
{
    public const string ConnectionVariable = "CHECKPOINTING_POSTGRES_CONNECTION";
    public const string BinVariable = "CHECKPOINTING_POSTGRES_BIN";
    private const string DefaultBin = "/usr/lib/postgresql/15/bin";
    private const string ClusterUser = "postgres";

    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string? _clusterDirectory;
    private readonly string? _binDirectory;
    private readonly bool _asOtherUser;

    private PostgresServer(string adminConnectionString, string database, string description, string? clusterDirectory, string? binDirectory, bool asOtherUser)
    {
        AdminConnectionString = adminConnectionString;
        Database = database;
        Description = description;
        _clusterDirectory = clusterDirectory;
        _binDirectory = binDirectory;
        _asOtherUser = asOtherUser;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Gets the connection string of this run's database, as a role that may create roles.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets a data source over <see cref="ConnectionString"/>.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Gets this run's database.</summary>
    public string Database { get; }

    /// <summary>Gets what the server is, for test output.</summary>
    public string Description { get; }

    private string AdminConnectionString { get; }

    /// <summary>Gets the server, starting it on first use.</summary>
    /// <exception cref="InvalidOperationException">No server could be started or reached; the message says why and what to do.</exception>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Returns the connection string of this run's database for another role (trust or the same password).</summary>
    public string ConnectionStringFor(string user, string? password = null) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Username = user, Password = password ?? new NpgsqlConnectionStringBuilder(ConnectionString).Password }.ConnectionString;

    /// <summary>Returns a schema name no other test uses.</summary>
    public static string NewSchema(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 1 + 16, 63)];

    /// <summary>Runs SQL in this run's database.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query in this run's database and returns its first column of the first row.</summary>
    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var database = $"checkpointing_tests_{Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..8]}";
        PostgresServer server;
        if (Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } existing)
        {
            try
            {
                await CreateDatabaseAsync(existing, database);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                throw new InvalidOperationException(
                    $"{ConnectionVariable} is set, but the server it names cannot be used to create a test database: {ex.Message}", ex);
            }

            var host = new NpgsqlConnectionStringBuilder(existing);
            server = new PostgresServer(existing, database, $"existing server {host.Host}:{host.Port} (from {ConnectionVariable})", null, null, false);
        }
        else
        {
            server = await StartClusterAsync(database);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    private static async Task<PostgresServer> StartClusterAsync(string database)
    {
        var bin = Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultBin;
        if (!File.Exists(Path.Combine(bin, "initdb")) || !File.Exists(Path.Combine(bin, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server for the tests: {ConnectionVariable} is not set and {bin} has no initdb/pg_ctl. "
                + $"Install PostgreSQL 15 (Debian: apt-get install -y postgresql-15), set {BinVariable} to its bin folder, or set {ConnectionVariable}.");
        }

        var asOtherUser = Environment.UserName == "root" || IsRoot();
        var directory = Directory.CreateTempSubdirectory("checkpointing-pg-").FullName;
        try
        {
            if (asOtherUser)
            {
                await EnsureClusterUserAsync();
                await RunAsync("chown", ["-R", $"{ClusterUser}:", directory]);
            }

            var data = Path.Combine(directory, "data");
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], asOtherUser);
            var port = FreePort();
            var options = string.Join(' ',
                $"-k {directory}",
                $"-p {port}",
                "-c listen_addresses=127.0.0.1",
                "-c max_connections=300",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=64MB");
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "-o", options, "start"], asOtherUser);
            StartJanitor(Path.Combine(bin, "pg_ctl"), data, directory, asOtherUser);
            var admin = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1",
                Port = port,
                Username = "postgres",
                Database = "postgres",
                MaxPoolSize = 200,
            }.ConnectionString;
            await CreateDatabaseAsync(admin, database);
            return new PostgresServer(admin, database, $"throwaway PostgreSQL cluster in {directory}, 127.0.0.1:{port} and unix socket", directory, bin, asOtherUser);
        }
        catch (Exception ex)
        {
            var log = Path.Combine(directory, "server.log");
            var tail = File.Exists(log) ? File.ReadAllText(log) : string.Empty;
            TryDelete(directory);
            throw new InvalidOperationException($"Could not start a throwaway PostgreSQL cluster from {bin}: {ex.Message}\n{tail}", ex);
        }
    }

    private static async Task CreateDatabaseAsync(string adminConnectionString, string database)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    private void Stop()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            DataSource.Dispose();
            if (_clusterDirectory is not null)
            {
                RunAsync(Path.Combine(_binDirectory!, "pg_ctl"), ["-D", Path.Combine(_clusterDirectory, "data"), "-m", "immediate", "-w", "stop"], _asOtherUser)
                    .GetAwaiter().GetResult();
                TryDelete(_clusterDirectory);
            }
            else
            {
                using var connection = new NpgsqlConnection(AdminConnectionString);
                connection.Open();
                using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Database}\" WITH (FORCE)", connection);
                command.ExecuteNonQuery();
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or IOException)
        {
            Console.Error.WriteLine($"Stopping the test PostgreSQL server failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Starts a detached shell (not a child of this process, so a test host killed with its process tree cannot take it
    /// along) that waits for this process to end, however it ends, then stops the cluster and deletes its folder.
    /// </summary>
    private static void StartJanitor(string pgCtl, string data, string directory, bool asClusterUser)
    {
        const string Script = """
            ( exec </dev/null >/dev/null 2>&1
              while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
              if [ "$5" = yes ]; then runuser -u postgres -- "$2" -D "$3" -m immediate -w stop; else "$2" -D "$3" -m immediate -w stop; fi
              rm -rf "$4" ) &
            """;
        var info = new ProcessStartInfo("sh") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var arg in new[] { "-c", Script, "janitor", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), pgCtl, data, directory, asClusterUser ? "yes" : "no" })
        {
            info.ArgumentList.Add(arg);
        }

        using var shell = Process.Start(info) ?? throw new InvalidOperationException("could not start the cluster janitor");
        shell.WaitForExit();
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(line => line.StartsWith("Uid:", StringComparison.Ordinal) && line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task EnsureClusterUserAsync()
    {
        if (await TryRunAsync("id", ["-u", ClusterUser]) == 0)
        {
            return;
        }

        await RunAsync("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", ClusterUser]);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string[] args, bool asClusterUser = false)
    {
        var (code, output) = await ExecuteProcessAsync(program, args, asClusterUser);
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {code}: {output}");
        }
    }

    private static async Task<int> TryRunAsync(string program, string[] args) => (await ExecuteProcessAsync(program, args, false)).Code;

    private static async Task<(int Code, string Output)> ExecuteProcessAsync(string program, string[] args, bool asClusterUser)
    {
        var info = new ProcessStartInfo(asClusterUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asClusterUser)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(ClusterUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = new StringBuilder().Append(await stdout).Append(await stderr).ToString();
        return (process.ExitCode, output.Trim());
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
