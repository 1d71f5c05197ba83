! Embeds a few sentences and prints how similar each pair is (cosine).
!   embed_f MODEL_DIR [SENTENCE...]
! Build against the installed library (see examples/README.md):
!   gfortran -o embed_f $(pkg-config --variable=fortrandir clembed)/clembed.f90 embed.f90 \
!       $(pkg-config --libs clembed)
program embed_example
    use, intrinsic :: iso_c_binding, only: c_float
    use clembed
    implicit none
    type(clembed_model) :: model
    type(clembed_context) :: ctx
    character(len=1024) :: dir
    character(len=1024), allocatable :: texts(:)
    real(c_float), allocatable :: vectors(:, :)
    integer :: rc, i, j, n

    if (command_argument_count() < 1) then
        print '(a)', 'usage: embed_f MODEL_DIR [SENTENCE...]'
        stop 2
    end if
    call get_command_argument(1, dir)
    n = command_argument_count() - 1
    if (n == 0) then
        texts = [character(len=1024) :: 'A cat sits on the mat.', 'A kitten rests on a rug.', &
                 'The stock market fell sharply today.']
        n = size(texts)
    else
        allocate(texts(n))
        do i = 1, n
            call get_command_argument(i + 1, texts(i))
        end do
    end if

    rc = clembed_model_open(dir, model)
    ! normalize=1: unit vectors, so a dot product is the cosine.
    if (rc == CLEMBED_OK) rc = clembed_context_new(model, ctx, normalize=1)
    if (rc == CLEMBED_OK) then
        allocate(vectors(clembed_context_dim(ctx), n))
        rc = clembed_embed(ctx, texts, vectors)
    end if
    if (rc /= CLEMBED_OK) then
        print '(a,a,a,a)', 'embed_f: ', clembed_strerror(rc), ': ', clembed_errmsg()
        call clembed_context_free(ctx)
        call clembed_model_free(model)
        stop 1
    end if

    print '(a,i0,a,i0,a)', 'embedded ', n, ' texts into ', size(vectors, 1), ' dimensions'
    do i = 1, n
        do j = i + 1, n
            print '(f7.4,5a)', dot_product(vectors(:, i), vectors(:, j)), '  "', trim(texts(i)), '" ~ "', &
                trim(texts(j)), '"'
        end do
    end do
    call clembed_context_free(ctx)
    call clembed_model_free(model)
    deallocate(texts, vectors)
end program
