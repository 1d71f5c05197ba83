! The Fortran module against sentence-transformers' vectors (written by
! tests/fortran.sh from tests/data/fidelity), and its errors.  TAP output.
!   test_fortran MODEL TEXTS EXPECTED N DIM [PROMPT_NAME TRUNCATE_DIM NORMALIZE]
program test_fortran
    use, intrinsic :: iso_c_binding, only: c_float
    use clembed
    implicit none
    type(clembed_model) :: model, missing
    type(clembed_context) :: ctx, bad
    character(len=4096) :: dir, texts_file, expected_file, arg, device, prompt
    character(len=4096), allocatable :: texts(:)
    real(c_float), allocatable :: got(:, :), want(:, :), wrong(:, :)
    integer :: n, dim, trunc, norm, rc, u, i, tests = 0, failed = 0, nargs
    real :: cosine, worst

    nargs = command_argument_count()
    if (nargs < 5) then
        print '(a)', 'usage: test_fortran MODEL TEXTS EXPECTED N DIM [PROMPT_NAME TRUNCATE_DIM NORMALIZE]'
        stop 2
    end if
    call get_command_argument(1, dir)
    call get_command_argument(2, texts_file)
    call get_command_argument(3, expected_file)
    call get_command_argument(4, arg); read (arg, *) n
    call get_command_argument(5, arg); read (arg, *) dim
    prompt = ''; trunc = 0; norm = -1
    if (nargs >= 8) then
        call get_command_argument(6, prompt)
        call get_command_argument(7, arg); read (arg, *) trunc
        call get_command_argument(8, arg); read (arg, *) norm
    end if
    call get_environment_variable('CLEMBED_TEST_DEVICE', device)

    allocate(texts(n), got(dim, n), want(dim, n))
    open (newunit=u, file=texts_file, status='old', action='read')
    do i = 1, n
        read (u, '(a)') texts(i)
    end do
    close (u)
    open (newunit=u, file=expected_file, access='stream', form='unformatted', status='old', action='read')
    read (u) want
    close (u)

    rc = clembed_model_open(dir, model)
    call check(rc == CLEMBED_OK, 'open '//trim(dir))
    if (rc /= CLEMBED_OK) call stop_with(clembed_errmsg())
    if (len_trim(prompt) > 0 .and. prompt /= '-') then
        rc = clembed_context_new(model, ctx, device=device, prompt_name=prompt, truncate_dim=trunc, normalize=norm)
    else
        rc = clembed_context_new(model, ctx, device=device, truncate_dim=trunc, normalize=norm)
    end if
    call check(rc == CLEMBED_OK, 'context on device "'//trim(device)//'"')
    if (rc /= CLEMBED_OK) call stop_with(clembed_strerror(rc)//': '//clembed_errmsg())
    call check(clembed_context_dim(ctx) == dim, 'context dimension is the expected one')

    got = 0
    rc = clembed_embed(ctx, texts, got)
    call check(rc == CLEMBED_OK, 'embed the texts')
    if (rc /= CLEMBED_OK) call stop_with(clembed_errmsg())
    worst = 1
    do i = 1, n
        cosine = dot_product(got(:, i), want(:, i)) / (norm2(got(:, i)) * norm2(want(:, i)))
        worst = min(worst, cosine)
    end do
    call check(worst >= 0.99999, 'every vector within cosine 0.99999 of sentence-transformers')
    print '(a,f9.7,a,i0,a)', '# smallest cosine ', worst, ' over ', n, ' texts'

    ! Column i of a larger array gets text i; the texts' own order does not matter.
    rc = clembed_embed(ctx, texts(n:1:-1), got)
    call check(rc == CLEMBED_OK .and. maxval(abs(got(:, 1) - want(:, n))) < 1e-4, &
               'texts in reverse order give the vectors in reverse order')

    ! Errors come back as statuses with a message.
    allocate(wrong(dim + 1, n))
    rc = clembed_embed(ctx, texts, wrong)
    call check(rc == CLEMBED_ERR_INVALID_ARG .and. index(clembed_errmsg(), 'expected') > 0, &
               'a wrongly shaped array is refused: '//clembed_errmsg())
    rc = clembed_model_open(trim(dir)//'/no-such-model', missing)
    call check(rc == CLEMBED_ERR_NOT_FOUND .and. index(clembed_errmsg(), 'no-such-model') > 0, &
               'a missing model: '//clembed_strerror(rc)//': '//clembed_errmsg())
    rc = clembed_context_new(model, bad, device='no-such-device-xyz')
    call check(rc == CLEMBED_ERR_NOT_FOUND .and. index(clembed_errmsg(), 'no-such-device-xyz') > 0, &
               'an unknown device: '//clembed_errmsg())
    rc = clembed_embed(bad, texts, got)
    call check(rc == CLEMBED_ERR_INVALID_ARG, 'embedding with a context never made is refused')
    call check(clembed_model_dim(missing) == 0 .and. clembed_context_dim(bad) == 0, &
               'handles that failed to open have dimension 0')
    call clembed_context_free(bad)
    call clembed_model_free(missing)

    call clembed_context_free(ctx)
    call clembed_context_free(ctx)
    call clembed_model_free(model)
    call check(.true., 'freeing twice is harmless')
    ! A main program's allocatables live to the end; freed here for leak checkers.
    deallocate(texts, got, want, wrong)
    print '(a,i0)', '1..', tests
    if (failed > 0) stop 1

contains

    subroutine check(cond, what)
        logical, intent(in) :: cond
        character(len=*), intent(in) :: what
        tests = tests + 1
        if (cond) then
            print '(a,i0,a,a)', 'ok ', tests, ' - ', what
        else
            print '(a,i0,a,a)', 'not ok ', tests, ' - ', what
            failed = failed + 1
        end if
    end subroutine

    subroutine stop_with(msg)
        character(len=*), intent(in) :: msg
        print '(a,a)', '# ', msg
        print '(a,i0)', '1..', tests
        stop 1
    end subroutine

end program
