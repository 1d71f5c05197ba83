! clembed: text embeddings on OpenCL devices, from Fortran 2008.
!
! A thin layer over the C library (clembed.h is the specification; see also
! libclembed(3)).  Installed as source because .mod files are specific to a
! compiler and its version: compile it with your program,
!
!     gfortran $(pkg-config --cflags clembed) clembed.f90 myprog.f90 $(pkg-config --libs clembed)
!
! Conventions, as in C:
!  - Functions that can fail return an integer status; CLEMBED_OK is 0.  On
!    failure clembed_errmsg() says what failed and where, and
!    clembed_strerror(rc) names the status.
!  - A clembed_model may be shared by threads (OpenMP included); a
!    clembed_context is used by one thread at a time.  The model must
!    outlive its contexts.  The *_free routines accept handles that were never
!    opened or already freed.
!  - Strings go to C without their trailing blanks (trim), so fixed-length
!    character arrays work as they are.  Texts are UTF-8.
module clembed
    use, intrinsic :: iso_c_binding, only: c_ptr, c_null_ptr, c_associated, c_char, c_null_char, &
        c_int, c_int32_t, c_size_t, c_float, c_loc, c_f_pointer, c_sizeof
    implicit none
    private

    ! Status codes: CLEMBED_STATUS_LIST of clembed.h (tests/fortran.sh checks that they agree).
    integer, parameter, public :: CLEMBED_OK = 0
    integer, parameter, public :: CLEMBED_ERR_INVALID_ARG = 1
    integer, parameter, public :: CLEMBED_ERR_NOMEM = 2
    integer, parameter, public :: CLEMBED_ERR_IO = 3
    integer, parameter, public :: CLEMBED_ERR_FORMAT = 4
    integer, parameter, public :: CLEMBED_ERR_UNSUPPORTED = 5
    integer, parameter, public :: CLEMBED_ERR_NO_DEVICE = 6
    integer, parameter, public :: CLEMBED_ERR_OPENCL = 7
    integer, parameter, public :: CLEMBED_ERR_BUILD = 8
    integer, parameter, public :: CLEMBED_ERR_DEVICE_MEMORY = 9
    integer, parameter, public :: CLEMBED_ERR_UTF8 = 10
    integer, parameter, public :: CLEMBED_ERR_NOT_FOUND = 11
    integer, parameter, public :: CLEMBED_ERR_PROFILE = 12
    integer, parameter, public :: CLEMBED_ERR_TOO_LARGE = 13
    integer, parameter, public :: CLEMBED_ERR_INTERNAL = 14
    integer, parameter, public :: CLEMBED_ERR_MISMATCH = 15

    ! An open model directory (weights mapped, configs and tokenizer read).
    type, public :: clembed_model
        private
        type(c_ptr) :: ptr = c_null_ptr
    end type

    ! A model on one device: queue, kernels, weights, scratch.
    type, public :: clembed_context
        private
        type(c_ptr) :: ptr = c_null_ptr
    end type

    public :: clembed_version_string, clembed_strerror, clembed_errmsg
    public :: clembed_device_count
    public :: clembed_model_open, clembed_model_free, clembed_model_dim, clembed_model_max_tokens
    public :: clembed_context_new, clembed_context_free, clembed_context_dim
    public :: clembed_embed

    ! clembed_context_params of clembed.h, this version's fields.  `size` tells
    ! the library which fields a caller knows, so a newer library accepts it.
    type, bind(c) :: context_params
        integer(c_size_t) :: size = 0
        type(c_ptr) :: device = c_null_ptr
        type(c_ptr) :: profile = c_null_ptr
        integer(c_int32_t) :: max_tokens = 0
        integer(c_int32_t) :: batch_tokens = 0
        integer(c_int) :: normalize = -1
        integer(c_int32_t) :: truncate_dim = 0
        type(c_ptr) :: prompt_name = c_null_ptr
        type(c_ptr) :: prompt = c_null_ptr
        integer(c_int) :: profiling = 0
    end type

    ! A failure found on this side (array shapes) before C was called.
    character(len=:), allocatable :: local_msg

    interface
        function c_version_string() bind(c, name="clembed_version_string") result(s)
            import :: c_ptr
            type(c_ptr) :: s
        end function
        function c_strerror(rc) bind(c, name="clembed_strerror") result(s)
            import :: c_ptr, c_int
            integer(c_int), value :: rc
            type(c_ptr) :: s
        end function
        function c_errmsg() bind(c, name="clembed_errmsg") result(s)
            import :: c_ptr
            type(c_ptr) :: s
        end function
        function c_device_count() bind(c, name="clembed_device_count") result(n)
            import :: c_size_t
            integer(c_size_t) :: n
        end function
        function c_model_open(dir, params, model) bind(c, name="clembed_model_open") result(rc)
            import :: c_char, c_ptr, c_int
            character(kind=c_char), intent(in) :: dir(*)
            type(c_ptr), value :: params
            type(c_ptr), intent(out) :: model
            integer(c_int) :: rc
        end function
        subroutine c_model_free(model) bind(c, name="clembed_model_free")
            import :: c_ptr
            type(c_ptr), value :: model
        end subroutine
        function c_model_dim(model) bind(c, name="clembed_model_dim") result(n)
            import :: c_ptr, c_size_t
            type(c_ptr), value :: model
            integer(c_size_t) :: n
        end function
        function c_model_max_tokens(model) bind(c, name="clembed_model_max_tokens") result(n)
            import :: c_ptr, c_size_t
            type(c_ptr), value :: model
            integer(c_size_t) :: n
        end function
        function c_context_new(model, params, ctx) bind(c, name="clembed_context_new") result(rc)
            import :: c_ptr, c_int, context_params
            type(c_ptr), value :: model
            type(context_params), intent(in) :: params
            type(c_ptr), intent(out) :: ctx
            integer(c_int) :: rc
        end function
        subroutine c_context_free(ctx) bind(c, name="clembed_context_free")
            import :: c_ptr
            type(c_ptr), value :: ctx
        end subroutine
        function c_context_dim(ctx) bind(c, name="clembed_context_dim") result(n)
            import :: c_ptr, c_size_t
            type(c_ptr), value :: ctx
            integer(c_size_t) :: n
        end function
        function c_embed(ctx, texts, n, out, out_len, info) bind(c, name="clembed_embed") result(rc)
            import :: c_ptr, c_size_t, c_float, c_int
            type(c_ptr), value :: ctx
            type(c_ptr), intent(in) :: texts(*)
            integer(c_size_t), value :: n
            real(c_float), intent(inout) :: out(*)
            integer(c_size_t), value :: out_len
            type(c_ptr), value :: info
            integer(c_int) :: rc
        end function
        function c_strlen(s) bind(c, name="strlen") result(n)
            import :: c_ptr, c_size_t
            type(c_ptr), value :: s
            integer(c_size_t) :: n
        end function
    end interface

contains

    ! A C string as a Fortran string ("" for NULL).
    function from_c(p) result(s)
        type(c_ptr), intent(in) :: p
        character(len=:), allocatable :: s
        character(kind=c_char), pointer :: chars(:)
        integer :: i, n
        if (.not. c_associated(p)) then
            s = ""
            return
        end if
        n = int(c_strlen(p))
        call c_f_pointer(p, chars, [n])
        allocate(character(len=n) :: s)
        do i = 1, n
            s(i:i) = chars(i)
        end do
    end function

    ! trim(s) and a NUL, for C.
    function to_c(s) result(c)
        character(len=*), intent(in) :: s
        character(kind=c_char, len=:), allocatable :: c
        c = trim(s) // c_null_char
    end function

    ! "0.1.0": the version of the library linked.
    function clembed_version_string() result(s)
        character(len=:), allocatable :: s
        s = from_c(c_version_string())
    end function

    ! A short English description of a status code.
    function clembed_strerror(rc) result(s)
        integer, intent(in) :: rc
        character(len=:), allocatable :: s
        s = from_c(c_strerror(int(rc, c_int)))
    end function

    ! What the last failing call of this thread said ("" when none).
    function clembed_errmsg() result(s)
        character(len=:), allocatable :: s
        if (allocated(local_msg)) then
            s = local_msg
        else
            s = from_c(c_errmsg())
        end if
    end function

    ! OpenCL devices on all platforms (see `clembed info`).
    integer function clembed_device_count()
        clembed_device_count = int(c_device_count())
    end function

    ! Opens a Hugging Face / sentence-transformers model directory.
    integer function clembed_model_open(dir, model) result(rc)
        character(len=*), intent(in) :: dir
        type(clembed_model), intent(inout) :: model
        if (allocated(local_msg)) deallocate(local_msg)
        call clembed_model_free(model)
        rc = int(c_model_open(to_c(dir), c_null_ptr, model%ptr))
    end function

    subroutine clembed_model_free(model)
        type(clembed_model), intent(inout) :: model
        call c_model_free(model%ptr)
        model%ptr = c_null_ptr
    end subroutine

    ! The model's output dimension (before any truncate_dim); 0 when not open.
    integer function clembed_model_dim(model)
        type(clembed_model), intent(in) :: model
        clembed_model_dim = 0
        if (c_associated(model%ptr)) clembed_model_dim = int(c_model_dim(model%ptr))
    end function

    ! The longest text in tokens, special tokens included; longer ones are truncated.
    integer function clembed_model_max_tokens(model)
        type(clembed_model), intent(in) :: model
        clembed_model_max_tokens = 0
        if (c_associated(model%ptr)) clembed_model_max_tokens = int(c_model_max_tokens(model%ptr))
    end function

    ! Creates a context for `model` on a device.  Optional arguments, as in
    ! clembed_context_params:
    !   device        selector: an index, pocl, rusticl, cpu, gpu, nvidia, amd,
    !                 intel, or part of the device name (default: CLEMBED_DEVICE,
    !                 else the first GPU, else the first device)
    !   normalize     -1 = as the model says (default), 0 = skip its Normalize,
    !                 1 = also L2-normalize the output
    !   truncate_dim  keep the first N dimensions (0 = the model's)
    !   prompt_name   a prompt of config_sentence_transformers.json
    !   max_tokens, batch_tokens  0 = from the model, the profile
    !   profile       a tuning profile file or directory, "off" for none
    integer function clembed_context_new(model, ctx, device, normalize, truncate_dim, prompt_name, &
                                         max_tokens, batch_tokens, profile) result(rc)
        type(clembed_model), intent(in) :: model
        type(clembed_context), intent(inout) :: ctx
        character(len=*), intent(in), optional :: device, prompt_name, profile
        integer, intent(in), optional :: normalize, truncate_dim, max_tokens, batch_tokens
        type(context_params) :: p
        character(kind=c_char, len=:), allocatable, target :: c_device, c_prompt_name, c_profile
        if (allocated(local_msg)) deallocate(local_msg)
        call clembed_context_free(ctx)
        p%size = c_sizeof(p)
        if (present(device)) then
            c_device = to_c(device)
            p%device = c_loc(c_device)
        end if
        if (present(prompt_name)) then
            c_prompt_name = to_c(prompt_name)
            p%prompt_name = c_loc(c_prompt_name)
        end if
        if (present(profile)) then
            c_profile = to_c(profile)
            p%profile = c_loc(c_profile)
        end if
        if (present(normalize)) p%normalize = int(normalize, c_int)
        if (present(truncate_dim)) p%truncate_dim = int(truncate_dim, c_int32_t)
        if (present(max_tokens)) p%max_tokens = int(max_tokens, c_int32_t)
        if (present(batch_tokens)) p%batch_tokens = int(batch_tokens, c_int32_t)
        rc = int(c_context_new(model%ptr, p, ctx%ptr))
    end function

    subroutine clembed_context_free(ctx)
        type(clembed_context), intent(inout) :: ctx
        call c_context_free(ctx%ptr)
        ctx%ptr = c_null_ptr
    end subroutine

    ! The context's output dimension (truncate_dim applied); 0 when not made.
    integer function clembed_context_dim(ctx)
        type(clembed_context), intent(in) :: ctx
        clembed_context_dim = 0
        if (c_associated(ctx%ptr)) clembed_context_dim = int(c_context_dim(ctx%ptr))
    end function

    ! Embeds texts(i), trailing blanks removed, into vectors(:, i).  vectors
    ! must be clembed_context_dim(ctx) x size(texts) (or more columns; the
    ! rest are left alone).
    integer function clembed_embed(ctx, texts, vectors) result(rc)
        type(clembed_context), intent(inout) :: ctx
        character(len=*), intent(in) :: texts(:)
        real(c_float), intent(inout), contiguous :: vectors(:, :)
        character(kind=c_char), allocatable, target :: buf(:)
        type(c_ptr), allocatable :: ptrs(:)
        integer :: i, j, k, n, total, dim
        if (allocated(local_msg)) deallocate(local_msg)
        n = size(texts)
        dim = clembed_context_dim(ctx)
        if (.not. c_associated(ctx%ptr)) then
            rc = CLEMBED_ERR_INVALID_ARG
            local_msg = "clembed_embed: the context was not made (clembed_context_new)"
            return
        end if
        if (size(vectors, 1) /= dim .or. size(vectors, 2) < n) then
            rc = CLEMBED_ERR_INVALID_ARG
            allocate(character(len=200) :: local_msg)
            write (local_msg, '(a,i0,a,i0,a,i0,a,i0,a)') "clembed_embed: vectors is ", size(vectors, 1), &
                " x ", size(vectors, 2), "; expected ", dim, " x ", n, " (dimension x texts)"
            local_msg = trim(local_msg)
            return
        end if
        if (n == 0) then
            rc = CLEMBED_OK
            return
        end if
        total = 0
        do i = 1, n
            total = total + len_trim(texts(i)) + 1
        end do
        allocate(buf(total), ptrs(n))
        k = 1
        do i = 1, n
            ptrs(i) = c_loc(buf(k))
            do j = 1, len_trim(texts(i))
                buf(k) = texts(i)(j:j)
                k = k + 1
            end do
            buf(k) = c_null_char
            k = k + 1
        end do
        rc = int(c_embed(ctx%ptr, ptrs, int(n, c_size_t), vectors, int(dim, c_size_t) * int(n, c_size_t), &
                         c_null_ptr))
    end function

end module clembed
