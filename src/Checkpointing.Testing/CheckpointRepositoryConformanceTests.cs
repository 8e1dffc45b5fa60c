using Xunit;
using Xunit.Abstractions;

namespace Checkpointing.Testing;

/// <summary>
/// The conformance suite of <see cref="ICheckpointRepository"/>: inherit it in an xunit test class and implement
/// <see cref="CreateRepositoryAsync"/>, and every promise of the contract is tested against your store.
/// </summary>
/// <example>
/// <code>
/// public sealed class MyStoreConformanceTests : CheckpointRepositoryConformanceTests
/// {
///     private readonly string _database = NewDatabase();
///     protected override Task&lt;ICheckpointRepository&gt; CreateRepositoryAsync() =&gt;
///         Task.FromResult&lt;ICheckpointRepository&gt;(new MyStore(_database));
/// }
/// </code>
/// </example>
/// <remarks>
/// <para>xunit creates one instance of the class per test. Within one instance, every call of
/// <see cref="CreateRepositoryAsync"/> must return a repository over the same storage, as a second process opening
/// the same directory or database would (a store that lives in memory returns the same instance every time). Storage
/// should start empty for each instance; tests use their own card ids and never assume the list of cards is empty.</para>
/// <para>Repositories that implement <see cref="IAsyncDisposable"/> or <see cref="IDisposable"/> are disposed when
/// the test ends (override <see cref="DisposeRepositoryAsync"/> to change that), before
/// <see cref="DisposeAsync"/> returns; override <see cref="DisposeAsync"/> to delete the storage afterwards.</para>
/// </remarks>
public abstract partial class CheckpointRepositoryConformanceTests : IAsyncLifetime
{
    private readonly List<ICheckpointRepository> _repositories = [];
    private readonly object _repositoriesGate = new();
    private int _cardCounter;

    /// <summary>Initializes a new instance of the <see cref="CheckpointRepositoryConformanceTests"/> class.</summary>
    protected CheckpointRepositoryConformanceTests()
        : this(null)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointRepositoryConformanceTests"/> class.</summary>
    /// <param name="output">Where tests write what they measured (conflicts retried, waits), or <see langword="null"/>.</param>
    protected CheckpointRepositoryConformanceTests(ITestOutputHelper? output)
    {
        Output = output;
    }

    /// <summary>Gets where tests write what they measured, when the derived class passed one.</summary>
    protected ITestOutputHelper? Output { get; }

    /// <summary>
    /// Gets a value indicating whether two repositories returned by <see cref="CreateRepositoryAsync"/> are two owners,
    /// as two processes are: writes through one are refused while the other owns the card. A store that returns the
    /// same instance every time returns <see langword="false"/>, and the tests of writes by a non-owner are reported as
    /// skipped.
    /// </summary>
    protected virtual bool RepositoriesAreSeparateOwners => true;

    /// <summary>
    /// Ends a test that does not apply to this store: the runner reports it as skipped with <paramref name="reason"/>
    /// (for tests marked with the kit's conformance fact attribute; elsewhere it fails with that reason).
    /// </summary>
    /// <param name="condition">Whether the test applies.</param>
    /// <param name="reason">Why it does not apply when <paramref name="condition"/> is <see langword="false"/>.</param>
    /// <exception cref="ConformanceTestNotApplicableException"><paramref name="condition"/> is <see langword="false"/>.</exception>
    protected static void NotApplicableUnless(bool condition, string reason)
    {
        if (!condition)
        {
            throw new ConformanceTestNotApplicableException(reason);
        }
    }

    /// <summary>Gets the number of LLM responses of 6 KB in the large-document test.</summary>
    /// <value>The default is 2,000 (about 12 MB).</value>
    protected virtual int LargeDocumentResponseCount => 2_000;

    /// <summary>Gets the number of updates each of the four writers makes in the concurrent-writers test.</summary>
    /// <value>The default is 25.</value>
    protected virtual int ConcurrentUpdatesPerWriter => 25;

    /// <summary>
    /// Returns a repository over this test's storage. Every call within one test instance must reach the same storage,
    /// as another process would; the first call may create it.
    /// </summary>
    /// <returns>The repository.</returns>
    protected abstract Task<ICheckpointRepository> CreateRepositoryAsync();

    /// <summary>Called once per distinct repository when the test ends; disposes it if it is disposable.</summary>
    /// <param name="repository">A repository returned by <see cref="CreateRepositoryAsync"/>.</param>
    /// <returns>A task that completes when the repository is disposed.</returns>
    protected virtual async Task DisposeRepositoryAsync(ICheckpointRepository repository)
    {
        switch (repository)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Called before each test; override to create storage asynchronously.</summary>
    /// <returns>A completed task.</returns>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Called after each test: disposes every repository the test opened. Override to delete storage after calling it.</summary>
    /// <returns>A task that completes when every repository is disposed.</returns>
    public virtual async Task DisposeAsync()
    {
        ICheckpointRepository[] repositories;
        lock (_repositoriesGate)
        {
            repositories = [.. _repositories.Distinct(ReferenceEqualityComparer.Instance).Cast<ICheckpointRepository>().Reverse()];
            _repositories.Clear();
        }

        foreach (var repository in repositories)
        {
            await DisposeRepositoryAsync(repository);
        }
    }

    /// <summary>Opens a repository over this test's storage and remembers it for disposal.</summary>
    /// <returns>The repository.</returns>
    protected async Task<ICheckpointRepository> OpenRepositoryAsync()
    {
        var repository = await CreateRepositoryAsync() ?? throw new InvalidOperationException("CreateRepositoryAsync returned null.");
        lock (_repositoriesGate)
        {
            _repositories.Add(repository);
        }

        return repository;
    }

    /// <summary>Returns a card id unique within this test.</summary>
    /// <param name="name">A readable part of the id.</param>
    /// <returns>The id.</returns>
    protected string NewCardId(string name) => $"{name}-{Interlocked.Increment(ref _cardCounter)}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Writes a line to the test output, when there is one.</summary>
    /// <param name="message">The line.</param>
    protected void Log(string message) => Output?.WriteLine(message);

    /// <summary>Applies a change to a checkpoint and stores it.</summary>
    /// <param name="repository">The store.</param>
    /// <param name="checkpoint">The checkpoint the change is made against.</param>
    /// <param name="change">The change.</param>
    /// <returns>The checkpoint with the change applied, as stored.</returns>
    protected static async Task<PipelineCheckpoint> ApplyAndSaveAsync(ICheckpointRepository repository, PipelineCheckpoint checkpoint, CheckpointChange change)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(change);
        var applied = new AppliedChange(checkpoint, change);
        await repository.SaveChangeAsync(applied);
        return applied.Checkpoint;
    }

    /// <summary>Checks that the same and a freshly opened repository load <paramref name="expected"/>.</summary>
    /// <param name="repository">The repository that wrote it.</param>
    /// <param name="expected">The state that should be stored.</param>
    /// <param name="because">What was done, for the failure message.</param>
    /// <returns>A task that completes when both loads were checked.</returns>
    protected async Task ShouldLoadAsync(ICheckpointRepository repository, PipelineCheckpoint expected, string because)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(expected);
        (await repository.LoadAsync(expected.CardId)).ShouldMatch(expected, because + ", loaded by the writer");
        var fresh = await OpenRepositoryAsync();
        (await fresh.LoadAsync(expected.CardId)).ShouldMatch(expected, because + ", loaded by a fresh repository");
    }
}
